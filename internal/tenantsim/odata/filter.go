package odata

import (
	"strconv"
	"strings"
	"time"
)

// Limits that keep hostile filters cheap: the parser is recursive, so nesting is bounded, and the
// node count caps the work an evaluation does per object.
const (
	MaxFilterLength = 4096
	MaxDepth        = 40
	MaxNodes        = 200
)

// Expr is a boolean $filter expression.
type Expr interface{ isExpr() }

// Logical is "L and R" or "L or R".
type Logical struct {
	Op   string // "and", "or"
	L, R Expr
}

// Not negates X.
type Not struct{ X Expr }

// Compare is "Left op Right" with op one of eq, ne, gt, ge, lt, le, or "in" (Right is a List).
type Compare struct {
	Op    string
	Left  Operand
	Right Operand
}

// Call is a string function: startswith(Path, 'x') or endswith(Path, 'x').
type Call struct {
	Name string
	Path Path
	Arg  Literal
}

// Lambda is Path/any(Var: Body) or Path/all(Var: Body); Body is nil for "any()".
type Lambda struct {
	Path Path
	Kind string // "any", "all"
	Var  string
	Body Expr
}

func (Logical) isExpr() {}
func (Not) isExpr()     {}
func (Compare) isExpr() {}
func (Call) isExpr()    {}
func (Lambda) isExpr()  {}

// Operand is a side of a comparison: Path, Count, Literal or List.
type Operand interface{ isOperand() }

// Path is a property path such as initiatedBy/user/userPrincipalName; inside a lambda the first
// segment may be the range variable (x/skuId, or just c).
type Path []string

// Count is Path/$count: the number of elements of a collection property.
type Count struct{ Path Path }

// List is the parenthesised literal list of "in".
type List []Literal

// LitKind tells what a literal is.
type LitKind int

// Literal kinds.
const (
	LitString LitKind = iota
	LitBool
	LitNull
	LitInt
	LitGUID
	LitDateTime
)

func (k LitKind) String() string {
	return [...]string{"Edm.String", "Edm.Boolean", "null", "Edm.Int32", "Edm.Guid", "Edm.DateTimeOffset"}[k]
}

// Literal is a constant of the filter.
type Literal struct {
	Kind LitKind
	Str  string // LitString, LitGUID (lower case)
	Bool bool
	Int  int64
	Time time.Time
}

func (Path) isOperand()    {}
func (Count) isOperand()   {}
func (List) isOperand()    {}
func (Literal) isOperand() {}

func (p Path) String() string { return strings.Join(p, "/") }

// token kinds
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tGUID
	tDateTime
	tLParen
	tRParen
	tComma
	tColon
	tSlash
)

type token struct {
	kind tokKind
	text string // ident text, decoded string, raw number/guid/datetime
	pos  int
}

func syntaxErr(pos int, src string) *Error {
	return badRequest("Invalid filter clause: Syntax error at position %d in '%s'.", pos, src)
}

// punctuation is the one-character tokens.
var punctuation = map[byte]tokKind{'(': tLParen, ')': tRParen, ',': tComma, ':': tColon, '/': tSlash}

// lex splits a filter into tokens. Guids and datetimes are recognised before identifiers and
// numbers because both may start with a digit or a hex letter.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		kind, isPunct := punctuation[c]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isPunct:
			toks = append(toks, token{kind, string(c), i})
			i++
		case c == '\'':
			// '' inside a string is an escaped quote.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, badRequest("Invalid filter clause: There is an unterminated string literal at position %d in '%s'.", j, src)
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j
		default:
			if n := matchGUID(src[i:]); n > 0 {
				toks = append(toks, token{tGUID, strings.ToLower(src[i : i+n]), i})
				i += n
				continue
			}
			if n := matchDateTime(src[i:]); n > 0 {
				toks = append(toks, token{tDateTime, src[i : i+n], i})
				i += n
				continue
			}
			if c == '-' || isDigit(c) {
				j := i + 1
				for j < len(src) && isDigit(src[j]) {
					j++
				}
				if c == '-' && j == i+1 {
					return nil, syntaxErr(i, src)
				}
				toks = append(toks, token{tInt, src[i:j], i})
				i = j
				continue
			}
			if isIdentStart(c) {
				j := i + 1
				for j < len(src) && isIdentPart(src[j]) {
					j++
				}
				toks = append(toks, token{tIdent, src[i:j], i})
				i = j
				continue
			}
			return nil, syntaxErr(i, src)
		}
		if len(toks) > 4*MaxNodes {
			return nil, errNodeLimit()
		}
	}
	toks = append(toks, token{tEOF, "", len(src)})
	return toks, nil
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isHex(c byte) bool        { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isIdentStart(c byte) bool { return c == '_' || c == '$' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '.' }

// matchGUID returns 36 if s starts with a GUID not followed by an identifier character.
func matchGUID(s string) int {
	if len(s) < 36 {
		return 0
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return 0
			}
		default:
			if !isHex(s[i]) {
				return 0
			}
		}
	}
	if len(s) > 36 && (isIdentPart(s[36]) || s[36] == '-') {
		return 0
	}
	return 36
}

// matchDateTime returns the length of an unquoted Edm.DateTimeOffset at the start of s
// (yyyy-mm-ddThh:mm[:ss[.fff]](Z|±hh:mm)), 0 if there is none.
func matchDateTime(s string) int {
	if len(s) < 17 || !isDigit(s[0]) || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return 0
	}
	j := 11
	for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
		j++
	}
	if j < len(s) && (s[j] == 'Z' || s[j] == 'z') {
		return j + 1
	}
	if j+6 <= len(s) && (s[j] == '+' || s[j] == '-') {
		return j + 6
	}
	return 0
}

func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, strings.ToUpper(s[:11])+s[11:]); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ParseFilter parses a $filter value into an expression tree. Errors are *Error with Graph's
// wording; nothing is evaluated here, see Schema.Validate for what a resource accepts.
func ParseFilter(src string) (Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, badRequest("Invalid filter clause: The $filter expression must not be empty.")
	}
	if len(src) > MaxFilterLength {
		return nil, badRequest("Invalid filter clause: the filter exceeds %d characters.", MaxFilterLength)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, syntaxErr(p.peek().pos, src)
	}
	return e, nil
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
	nodes int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, word)
}

func (p *parser) expect(k tokKind) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, syntaxErr(t.pos, p.src)
	}
	return t, nil
}

func (p *parser) enter() error {
	p.depth++
	p.nodes++
	if p.depth > MaxDepth {
		return badRequest("Invalid filter clause: The recursion depth limit of %d has been exceeded.", MaxDepth)
	}
	if p.nodes > MaxNodes {
		return errNodeLimit()
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func errNodeLimit() *Error {
	return badRequest("Invalid filter clause: The node count limit of '%d' has been exceeded.", MaxNodes)
}

func (p *parser) parseOr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseLogical("or", p.parseAnd)
}

func (p *parser) parseAnd() (Expr, error) { return p.parseLogical("and", p.parseUnary) }

// parseLogical parses operand { op operand }, grouping to the left; each op counts as a node.
func (p *parser) parseLogical(op string, operand func() (Expr, error)) (Expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(op) {
		p.next()
		if p.nodes++; p.nodes > MaxNodes {
			return nil, errNodeLimit()
		}
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = Logical{Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseUnary() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if p.isKeyword("not") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == tIdent && p.toks[p.i+1].kind == tLParen {
		switch name := strings.ToLower(t.text); name {
		case "startswith", "endswith":
			return p.parseCall(name)
		case "contains", "substringof", "indexof", "tolower", "toupper", "trim", "length", "concat":
			return nil, unsupported("Unsupported Query. The function '%s' is not supported.", t.text)
		}
	}
	left, lambda, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if lambda != nil {
		return *lambda, nil
	}
	opTok := p.next()
	if opTok.kind != tIdent {
		return nil, syntaxErr(opTok.pos, p.src)
	}
	op := strings.ToLower(opTok.text)
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
	case "in":
		list, err := p.parseList()
		if err != nil {
			return nil, err
		}
		return Compare{Op: op, Left: left, Right: list}, nil
	case "has", "add", "sub", "mul", "div", "mod":
		return nil, unsupported("Unsupported Query. The operator '%s' is not supported.", opTok.text)
	default:
		return nil, syntaxErr(opTok.pos, p.src)
	}
	right, lam, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if lam != nil {
		return nil, syntaxErr(opTok.pos, p.src)
	}
	return Compare{Op: op, Left: left, Right: right}, nil
}

func (p *parser) parseCall(name string) (Expr, error) {
	p.next() // name
	p.next() // (
	t := p.peek()
	if t.kind != tIdent {
		return nil, syntaxErr(t.pos, p.src)
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma); err != nil {
		return nil, err
	}
	arg := p.next()
	if arg.kind != tString {
		return nil, syntaxErr(arg.pos, p.src)
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return Call{Name: name, Path: path, Arg: Literal{Kind: LitString, Str: arg.text}}, nil
}

func (p *parser) parsePath() (Path, error) {
	var path Path
	for {
		t := p.next()
		if t.kind != tIdent {
			return nil, syntaxErr(t.pos, p.src)
		}
		path = append(path, t.text)
		if len(path) > 8 {
			return nil, badRequest("Invalid filter clause: the property path is too long.")
		}
		if p.peek().kind != tSlash {
			return path, nil
		}
		n := p.toks[p.i+1]
		if n.kind == tIdent && (n.text == "$count" || isLambdaWord(n.text) && p.toks[p.i+2].kind == tLParen) {
			return path, nil
		}
		p.next() // slash
	}
}

func isLambdaWord(s string) bool { return strings.EqualFold(s, "any") || strings.EqualFold(s, "all") }

// parseOperand reads a literal, a path, a Path/$count, or a lambda (returned separately because
// a lambda is a predicate, not a value).
func (p *parser) parseOperand() (Operand, *Lambda, error) {
	t := p.peek()
	switch t.kind {
	case tString, tInt, tGUID, tDateTime:
		lit, err := p.parseLiteral()
		return lit, nil, err
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true", "false", "null":
			lit, err := p.parseLiteral()
			return lit, nil, err
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, nil, err
		}
		if p.peek().kind != tSlash {
			return path, nil, nil
		}
		p.next() // slash
		w := p.next()
		if w.text == "$count" {
			return Count{Path: path}, nil, nil
		}
		lam, err := p.parseLambda(path, strings.ToLower(w.text))
		return nil, lam, err
	}
	return nil, nil, syntaxErr(t.pos, p.src)
}

func (p *parser) parseLambda(path Path, kind string) (*Lambda, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	p.next() // (
	if p.peek().kind == tRParen {
		p.next()
		return &Lambda{Path: path, Kind: kind}, nil
	}
	v, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tColon); err != nil {
		return nil, err
	}
	body, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return &Lambda{Path: path, Kind: kind, Var: v.text, Body: body}, nil
}

func (p *parser) parseLiteral() (Literal, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Literal{Kind: LitString, Str: t.text}, nil
	case tGUID:
		return Literal{Kind: LitGUID, Str: t.text}, nil
	case tInt:
		n, err := strconv.ParseInt(t.text, 10, 32)
		if err != nil {
			return Literal{}, badRequest("Invalid filter clause: The integer '%s' is out of range.", t.text)
		}
		return Literal{Kind: LitInt, Int: n}, nil
	case tDateTime:
		tm, ok := parseDateTime(t.text)
		if !ok {
			return Literal{}, badRequest("Invalid filter clause: The DateTimeOffset text '%s' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.", t.text)
		}
		return Literal{Kind: LitDateTime, Time: tm}, nil
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true":
			return Literal{Kind: LitBool, Bool: true}, nil
		case "false":
			return Literal{Kind: LitBool}, nil
		case "null":
			return Literal{Kind: LitNull}, nil
		}
	}
	return Literal{}, syntaxErr(t.pos, p.src)
}

func (p *parser) parseList() (List, error) {
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	var list List
	for {
		lit, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		list = append(list, lit)
		if len(list) > 15 {
			return nil, unsupported("Too many child clauses specified in search filter expression containing 'in' operator: %d. Max allowed: 15.", len(list))
		}
		t := p.next()
		if t.kind == tRParen {
			return list, nil
		}
		if t.kind != tComma {
			return nil, syntaxErr(t.pos, p.src)
		}
	}
}

// String renders a literal as it would appear in a filter, for messages.
func (l Literal) String() string {
	switch l.Kind {
	case LitString:
		return "'" + strings.ReplaceAll(l.Str, "'", "''") + "'"
	case LitBool:
		return strconv.FormatBool(l.Bool)
	case LitNull:
		return "null"
	case LitInt:
		return strconv.FormatInt(l.Int, 10)
	case LitDateTime:
		return l.Time.Format(time.RFC3339)
	default:
		return l.Str
	}
}
