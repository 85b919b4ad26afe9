package odata

import (
	"strings"
	"time"
)

// Accessor reads properties of one object for Eval. Property returns, by canonical name:
// string, bool, int, time.Time, nil (null or absent), an Accessor (complex value) or []any (a
// collection whose elements are Accessors or primitives).
type Accessor interface {
	Property(name string) any
}

// Map is an Accessor over a map, handy for complex values and tests.
type Map map[string]any

// Property implements Accessor.
func (m Map) Property(name string) any { return m[name] }

type binding struct {
	name string
	val  any
	up   *binding
}

// Eval reports whether obj satisfies e. e must come from Schema.Validate, so types line up;
// a value of an unexpected type simply does not match.
func Eval(e Expr, obj Accessor) bool { return eval(e, obj, nil) }

func eval(e Expr, obj Accessor, env *binding) bool {
	switch x := e.(type) {
	case Logical:
		if x.Op == "and" {
			return eval(x.L, obj, env) && eval(x.R, obj, env)
		}
		return eval(x.L, obj, env) || eval(x.R, obj, env)
	case Not:
		return !eval(x.X, obj, env)
	case Call:
		s, ok := lookup(x.Path, obj, env).(string)
		if !ok {
			return false
		}
		s, arg := strings.ToLower(s), strings.ToLower(x.Arg.Str)
		if x.Name == "endswith" {
			return strings.HasSuffix(s, arg)
		}
		return strings.HasPrefix(s, arg)
	case Lambda:
		coll, _ := lookup(x.Path, obj, env).([]any)
		if x.Body == nil {
			return len(coll) > 0
		}
		for _, el := range coll {
			m := eval(x.Body, obj, &binding{name: x.Var, val: el, up: env})
			if x.Kind == "any" && m {
				return true
			}
			if x.Kind == "all" && !m {
				return false
			}
		}
		return x.Kind == "all"
	case Compare:
		var v any
		switch l := x.Left.(type) {
		case Path:
			v = lookup(l, obj, env)
		case Count:
			coll, _ := lookup(l.Path, obj, env).([]any)
			v = len(coll)
		}
		if list, ok := x.Right.(List); ok {
			for _, lit := range list {
				if c, ok := compare(v, lit); ok && c == 0 {
					return true
				}
			}
			return false
		}
		lit, _ := x.Right.(Literal)
		c, ok := compare(v, lit)
		switch x.Op {
		case "eq":
			return ok && c == 0
		case "ne":
			return !ok || c != 0
		case "gt":
			return ok && c > 0
		case "ge":
			return ok && c >= 0
		case "lt":
			return ok && c < 0
		case "le":
			return ok && c <= 0
		}
	}
	return false
}

func lookup(p Path, obj Accessor, env *binding) any {
	var cur any = obj
	start := 0
	for b := env; b != nil; b = b.up {
		if b.name == p[0] {
			cur, start = b.val, 1
			break
		}
	}
	for _, seg := range p[start:] {
		a, ok := cur.(Accessor)
		if !ok {
			return nil
		}
		cur = a.Property(seg)
	}
	return cur
}

// compare orders v against a literal; ok is false when they cannot be compared (then only ne
// holds). Strings and guids compare case-insensitively, as the directory does; "" is null.
func compare(v any, l Literal) (int, bool) {
	if l.Kind == LitNull {
		if v == nil || v == "" {
			return 0, true
		}
		return 1, true
	}
	switch x := v.(type) {
	case string:
		if l.Kind != LitString && l.Kind != LitGUID {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(l.Str)), true
	case bool:
		if l.Kind != LitBool {
			return 0, false
		}
		switch {
		case x == l.Bool:
			return 0, true
		case x:
			return 1, true
		}
		return -1, true
	case int:
		if l.Kind != LitInt {
			return 0, false
		}
		switch {
		case int64(x) < l.Int:
			return -1, true
		case int64(x) > l.Int:
			return 1, true
		}
		return 0, true
	case time.Time:
		if l.Kind != LitDateTime {
			return 0, false
		}
		return x.Compare(l.Time), true
	}
	return 0, false
}
