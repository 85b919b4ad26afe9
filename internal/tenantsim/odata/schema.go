package odata

import (
	"strings"
)

// Kind is the EDM type of a filterable property.
type Kind int

// Property kinds.
const (
	KString Kind = iota
	KBool
	KGUID
	KDateTime
	KInt
	KObject     // complex value with Props
	KCollection // collection of Elem
)

func (k Kind) edm() string {
	switch k {
	case KString:
		return "Edm.String"
	case KBool:
		return "Edm.Boolean"
	case KGUID:
		return "Edm.Guid"
	case KDateTime:
		return "Edm.DateTimeOffset"
	case KInt:
		return "Edm.Int32"
	}
	return "Edm.Untyped"
}

// Prop describes what $filter may do with one property of a resource.
type Prop struct {
	Name string // canonical spelling, filled in by NewSchema
	Kind Kind
	// Ops lists the allowed comparison operators and functions, space separated:
	// "eq ne gt ge lt le in startswith endswith". Empty = not filterable.
	Ops string
	// Props are the members of a KObject.
	Props map[string]*Prop
	// Elem is the element type of a KCollection.
	Elem *Prop
	// Lambda lists "any" and/or "all" for collections; CountOps the operators allowed on
	// Path/$count.
	Lambda   string
	CountOps string
}

// Schema is what a resource type accepts in $filter.
type Schema struct {
	// Type is the qualified name for messages, "microsoft.graph.user"; Resource the short one
	// ("User").
	Type, Resource string
	Props          map[string]*Prop
}

// NewSchema indexes props by lower-cased name (Graph accepts property names in any case) and
// records each canonical spelling.
func NewSchema(typ, resource string, props map[string]*Prop) *Schema {
	return &Schema{Type: typ, Resource: resource, Props: canon(props)}
}

func canon(props map[string]*Prop) map[string]*Prop {
	out := make(map[string]*Prop, len(props))
	for name, p := range props {
		p.Name = name
		if p.Props != nil {
			p.Props = canon(p.Props)
		}
		if p.Elem != nil && p.Elem.Props != nil {
			p.Elem.Props = canon(p.Elem.Props)
		}
		out[strings.ToLower(name)] = p
	}
	return out
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

// Usage tells the caller what a validated filter needs.
type Usage struct {
	// Advanced is set when the filter uses a construct Graph serves only as an advanced query
	// (ConsistencyLevel: eventual plus $count=true): ne, not, endswith, or a /$count.
	Advanced bool
	// AdvancedOp names the first construct that made the filter advanced, as Graph names it in
	// its refusal: "ne", "not", "endsWith", or the operator compared with a /$count.
	AdvancedOp string
	// Props are the top-level properties referenced, canonical spelling, in first-use order.
	Props []string
}

// Uses reports whether the filter references the named top-level property.
func (u Usage) Uses(name string) bool {
	for _, p := range u.Props {
		if p == name {
			return true
		}
	}
	return false
}

type validator struct {
	s     *Schema
	usage Usage
	vars  map[string]*Prop // lambda range variables -> element type
}

// Validate checks e against the schema and returns it with property names in their canonical
// spelling, ready for Eval.
func (s *Schema) Validate(e Expr) (Expr, Usage, error) {
	v := &validator{s: s, vars: map[string]*Prop{}}
	out, err := v.expr(e)
	return out, v.usage, err
}

func (v *validator) unsupportedProp(name string) *Error {
	return unsupported("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", name, v.s.Resource)
}

// advanced records that the filter needs an advanced query because of construct op.
func (v *validator) advanced(op string) {
	if !v.usage.Advanced {
		v.usage.Advanced, v.usage.AdvancedOp = true, op
	}
}

func (v *validator) note(name string) {
	if !v.usage.Uses(name) {
		v.usage.Props = append(v.usage.Props, name)
	}
}

// resolve finds the property a path names, canonicalising it.
func (v *validator) resolve(path Path) (Path, *Prop, error) {
	out := make(Path, len(path))
	var cur *Prop
	props := v.s.Props
	start := 0
	if elem, ok := v.vars[path[0]]; ok {
		out[0] = path[0]
		cur = elem
		props = elem.Props
		start = 1
	}
	for i := start; i < len(path); i++ {
		if i > 0 && (cur == nil || cur.Kind != KObject) {
			return nil, nil, badRequest("Could not find a property named '%s' on type '%s'.", path[i], v.s.Type)
		}
		p, ok := props[strings.ToLower(path[i])]
		if !ok {
			return nil, nil, badRequest("Could not find a property named '%s' on type '%s'.", path[i], v.s.Type)
		}
		if i == 0 {
			v.note(p.Name)
		}
		out[i] = p.Name
		cur = p
		props = p.Props
	}
	return out, cur, nil
}

// resolveWhere is resolve for a place in a filter that takes only some properties: one that
// accepts rejects gets Graph's unsupported-property error.
func (v *validator) resolveWhere(path Path, accepts func(*Prop) bool) (Path, *Prop, error) {
	resolved, p, err := v.resolve(path)
	if err != nil {
		return nil, nil, err
	}
	if !accepts(p) {
		return nil, nil, v.unsupportedProp(p.Name)
	}
	return resolved, p, nil
}

func opName(op string) string {
	switch op {
	case "eq":
		return "Equal"
	case "ne":
		return "NotEqual"
	case "gt":
		return "GreaterThan"
	case "ge":
		return "GreaterThanOrEqual"
	case "lt":
		return "LessThan"
	case "le":
		return "LessThanOrEqual"
	}
	return op
}

func litMatches(k Kind, l Literal) bool {
	switch l.Kind {
	case LitNull:
		return true
	case LitString:
		return k == KString
	case LitBool:
		return k == KBool
	case LitInt:
		return k == KInt
	case LitGUID:
		return k == KGUID
	case LitDateTime:
		return k == KDateTime
	}
	return false
}

func (v *validator) expr(e Expr) (Expr, error) {
	switch x := e.(type) {
	case Logical:
		l, err := v.expr(x.L)
		if err != nil {
			return nil, err
		}
		r, err := v.expr(x.R)
		if err != nil {
			return nil, err
		}
		return Logical{Op: x.Op, L: l, R: r}, nil
	case Not:
		v.advanced("not")
		in, err := v.expr(x.X)
		if err != nil {
			return nil, err
		}
		return Not{X: in}, nil
	case Call:
		path, _, err := v.resolveWhere(x.Path, func(p *Prop) bool { return p.Kind == KString && hasWord(p.Ops, x.Name) })
		if err != nil {
			return nil, err
		}
		if x.Name == "endswith" {
			v.advanced("endsWith")
		}
		return Call{Name: x.Name, Path: path, Arg: x.Arg}, nil
	case Lambda:
		path, p, err := v.resolveWhere(x.Path, func(p *Prop) bool { return p.Kind == KCollection && hasWord(p.Lambda, x.Kind) })
		if err != nil {
			return nil, err
		}
		if x.Body == nil {
			return Lambda{Path: path, Kind: x.Kind}, nil
		}
		if _, clash := v.vars[x.Var]; clash || v.s.Props[strings.ToLower(x.Var)] != nil {
			return nil, badRequest("Invalid filter clause: the range variable '%s' is already in scope.", x.Var)
		}
		v.vars[x.Var] = p.Elem
		defer delete(v.vars, x.Var)
		body, err := v.lambdaBody(x.Body, x.Var)
		if err != nil {
			return nil, err
		}
		return Lambda{Path: path, Kind: x.Kind, Var: x.Var, Body: body}, nil
	case Compare:
		return v.compare(x)
	}
	return nil, badRequest("Invalid filter clause.")
}

// lambdaBody validates a lambda body whose paths must all go through the range variable, as
// Graph requires.
func (v *validator) lambdaBody(e Expr, rv string) (Expr, error) {
	bad := false
	walk(e, func(p Path) {
		if p[0] != rv {
			bad = true
		}
	})
	if bad {
		return nil, unsupported("Unsupported Query. A lambda expression may only refer to its range variable '%s'.", rv)
	}
	return v.expr(e)
}

func walk(e Expr, f func(Path)) {
	switch x := e.(type) {
	case Logical:
		walk(x.L, f)
		walk(x.R, f)
	case Not:
		walk(x.X, f)
	case Call:
		f(x.Path)
	case Lambda:
		f(x.Path)
	case Compare:
		switch o := x.Left.(type) {
		case Path:
			f(o)
		case Count:
			f(o.Path)
		}
	}
}

func (v *validator) compare(x Compare) (Expr, error) {
	var (
		kind Kind
		ops  string
		name string
		left Operand
	)
	switch o := x.Left.(type) {
	case Path:
		path, p, err := v.resolveWhere(o, func(p *Prop) bool { return p.Kind != KObject && p.Kind != KCollection })
		if err != nil {
			return nil, err
		}
		kind, ops, name, left = p.Kind, p.Ops, p.Name, path
	case Count:
		path, p, err := v.resolveWhere(o.Path, func(p *Prop) bool { return p.Kind == KCollection && p.CountOps != "" })
		if err != nil {
			return nil, err
		}
		v.advanced(x.Op)
		kind, ops, name, left = KInt, p.CountOps, p.Name, Count{Path: path}
	default:
		// Graph wants the property on the left.
		return nil, unsupported("Unsupported Query. The left operand of '%s' must be a property.", x.Op)
	}
	if !hasWord(ops, x.Op) {
		return nil, v.unsupportedProp(name)
	}
	if x.Op == "ne" {
		v.advanced("ne")
	}
	switch r := x.Right.(type) {
	case Literal:
		if !litMatches(kind, r) {
			return nil, badRequest("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", kind.edm(), r.Kind, opName(x.Op))
		}
		if r.Kind == LitNull && x.Op != "eq" && x.Op != "ne" {
			return nil, v.unsupportedProp(name)
		}
	case List:
		for _, l := range r {
			if l.Kind == LitNull || !litMatches(kind, l) {
				return nil, badRequest("The types of the values in the 'in' list must match property '%s' (%s).", name, kind.edm())
			}
		}
	default:
		return nil, unsupported("Unsupported Query. The right operand of '%s' must be a literal.", x.Op)
	}
	return Compare{Op: x.Op, Left: left, Right: x.Right}, nil
}
