package tenantsim

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Dynamic membership rules: a parser and evaluator for the subset of Entra ID's rule syntax the
// simulator's groups use, e.g.
//
//	user.department -eq "Sales"
//	(user.department -eq "Sales") -and (user.accountEnabled -eq true)
//	user.memberof -any (group.objectId -in ['<id>', '<id>'])
//
// Anything else is rejected with ErrUnsupportedRule rather than guessed at.

// ErrUnsupportedRule is wrapped by every rule the simulator cannot parse or does not support.
var ErrUnsupportedRule = errors.New("unsupported membership rule")

// maxRuleLen is Entra ID's limit on membershipRule length.
const maxRuleLen = 3072

// maxRuleDepth bounds nesting so hostile input cannot exhaust the stack.
const maxRuleDepth = 32

// ruleNode is a parsed membership rule.
type ruleNode struct {
	op       string // "and", "or", "not", "cmp", "memberof"
	kids     []*ruleNode
	prop     string // lower-case property name for "cmp"
	get      func(u *User) string
	cmp      string // lower-case operator without '-', e.g. "eq"
	values   []string
	null     bool // the value was the keyword null
	re       *regexp.Regexp
	groupIDs []string // for "memberof"
}

// userRuleProps maps the supported user properties (lower case) to their readers.
var userRuleProps = map[string]func(u *User) string{
	"objectid":          func(u *User) string { return u.ID },
	"displayname":       func(u *User) string { return u.DisplayName },
	"givenname":         func(u *User) string { return u.GivenName },
	"surname":           func(u *User) string { return u.Surname },
	"userprincipalname": func(u *User) string { return u.UserPrincipalName },
	"mail":              func(u *User) string { return u.Mail },
	"mailnickname":      func(u *User) string { return u.MailNickname },
	"department":        func(u *User) string { return u.Department },
	"jobtitle":          func(u *User) string { return u.JobTitle },
	"companyname":       func(u *User) string { return u.CompanyName },
	"employeeid":        func(u *User) string { return u.EmployeeID },
	"city":              func(u *User) string { return u.City },
	"country":           func(u *User) string { return u.Country },
	"physicaldeliveryofficename": func(u *User) string {
		return u.OfficeLocation
	},
	"usagelocation":     func(u *User) string { return u.UsageLocation },
	"usertype":          func(u *User) string { return u.UserType },
	"preferredlanguage": func(u *User) string { return u.PreferredLanguage },
	"mobile":            func(u *User) string { return u.MobilePhone },
	"accountenabled": func(u *User) string {
		if u.AccountEnabled {
			return "true"
		}
		return "false"
	},
}

// parseRule parses a membership rule.
func parseRule(s string) (*ruleNode, error) {
	if len(s) > maxRuleLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrUnsupportedRule, maxRuleLen)
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrUnsupportedRule)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return nil, fmt.Errorf("%w: control character %U", ErrUnsupportedRule, r)
		}
	}
	toks, err := tokenizeRule(s)
	if err != nil {
		return nil, err
	}
	p := &ruleParser{toks: toks}
	n, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q", ErrUnsupportedRule, p.toks[p.pos].text)
	}
	return n, nil
}

type ruleToken struct {
	text   string
	quoted bool
}

func tokenizeRule(s string) ([]ruleToken, error) {
	var toks []ruleToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.IndexByte("()[],", c) >= 0:
			toks = append(toks, ruleToken{text: string(c)})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '`' && j+1 < len(s) { // Entra escapes quotes with a backtick
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if s[j] == c {
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated string", ErrUnsupportedRule)
			}
			toks = append(toks, ruleToken{text: b.String(), quoted: true})
			i = j
		case c == '-' || c == '_' || c == '.' || isRuleWordByte(c):
			j := i
			for j < len(s) && (isRuleWordByte(s[j]) || s[j] == '.' || s[j] == '-' || s[j] == '_') {
				j++
			}
			toks = append(toks, ruleToken{text: s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("%w: unexpected character %q", ErrUnsupportedRule, c)
		}
	}
	return toks, nil
}

func isRuleWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

type ruleParser struct {
	toks []ruleToken
	pos  int
}

func (p *ruleParser) peek() (ruleToken, bool) {
	if p.pos >= len(p.toks) {
		return ruleToken{}, false
	}
	return p.toks[p.pos], true
}

// keyword reports whether the next unquoted token is one of words (case-insensitive) and eats it.
func (p *ruleParser) keyword(words ...string) bool {
	t, ok := p.peek()
	if !ok || t.quoted {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			p.pos++
			return true
		}
	}
	return false
}

func (p *ruleParser) expect(text string) error {
	t, ok := p.peek()
	if !ok || t.quoted || !strings.EqualFold(t.text, text) {
		if !ok {
			return fmt.Errorf("%w: expected %q at end of rule", ErrUnsupportedRule, text)
		}
		return fmt.Errorf("%w: expected %q, found %q", ErrUnsupportedRule, text, t.text)
	}
	p.pos++
	return nil
}

func (p *ruleParser) parseOr(depth int) (*ruleNode, error) {
	if depth > maxRuleDepth {
		return nil, fmt.Errorf("%w: nested too deeply", ErrUnsupportedRule)
	}
	return p.parseLogical("or", depth, p.parseAnd)
}

func (p *ruleParser) parseAnd(depth int) (*ruleNode, error) {
	return p.parseLogical("and", depth, p.parseUnary)
}

// parseLogical parses operand { op operand }, grouping to the left; rules write op as -op or op.
func (p *ruleParser) parseLogical(op string, depth int, operand func(depth int) (*ruleNode, error)) (*ruleNode, error) {
	left, err := operand(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("-"+op, op) {
		right, err := operand(depth)
		if err != nil {
			return nil, err
		}
		left = &ruleNode{op: op, kids: []*ruleNode{left, right}}
	}
	return left, nil
}

func (p *ruleParser) parseUnary(depth int) (*ruleNode, error) {
	if depth > maxRuleDepth {
		return nil, fmt.Errorf("%w: nested too deeply", ErrUnsupportedRule)
	}
	if p.keyword("-not", "not") {
		k, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: "not", kids: []*ruleNode{k}}, nil
	}
	if p.keyword("(") {
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return n, nil
	}
	return p.parseComparison()
}

func (p *ruleParser) parseComparison() (*ruleNode, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("%w: rule ends early", ErrUnsupportedRule)
	}
	if t.quoted {
		return nil, fmt.Errorf("%w: expected a property, found a string", ErrUnsupportedRule)
	}
	prop, found := strings.CutPrefix(strings.ToLower(t.text), "user.")
	if !found {
		return nil, fmt.Errorf("%w: property %q is not a user property", ErrUnsupportedRule, t.text)
	}
	p.pos++
	if prop == "memberof" {
		return p.parseMemberOf()
	}
	get, ok := userRuleProps[prop]
	if !ok {
		return nil, fmt.Errorf("%w: property %q", ErrUnsupportedRule, t.text)
	}
	opTok, ok := p.peek()
	if !ok || opTok.quoted || !strings.HasPrefix(opTok.text, "-") {
		return nil, fmt.Errorf("%w: expected an operator after %q", ErrUnsupportedRule, t.text)
	}
	p.pos++
	cmp := strings.ToLower(strings.TrimPrefix(opTok.text, "-"))
	n := &ruleNode{op: "cmp", prop: prop, cmp: cmp, get: get}
	switch cmp {
	case "eq", "ne", "startswith", "notstartswith", "contains", "notcontains", "match", "notmatch":
		v, ok := p.peek()
		if !ok {
			return nil, fmt.Errorf("%w: expected a value after %q", ErrUnsupportedRule, opTok.text)
		}
		p.pos++
		switch {
		case v.quoted:
			n.values = []string{v.text}
		case strings.EqualFold(v.text, "null") && (cmp == "eq" || cmp == "ne"):
			n.null = true
		case strings.EqualFold(v.text, "true") || strings.EqualFold(v.text, "false"):
			if prop != "accountenabled" {
				return nil, fmt.Errorf("%w: %s is not a boolean property", ErrUnsupportedRule, t.text)
			}
			n.values = []string{strings.ToLower(v.text)}
		default:
			return nil, fmt.Errorf("%w: value %q must be quoted", ErrUnsupportedRule, v.text)
		}
		if cmp == "match" || cmp == "notmatch" {
			re, err := regexp.Compile("(?i)" + n.values[0])
			if err != nil {
				return nil, fmt.Errorf("%w: bad regular expression: %w", ErrUnsupportedRule, err)
			}
			n.re = re
		}
	case "in", "notin":
		vals, err := p.parseList()
		if err != nil {
			return nil, err
		}
		n.values = vals
	default:
		return nil, fmt.Errorf("%w: operator %q", ErrUnsupportedRule, opTok.text)
	}
	return n, nil
}

// parseMemberOf parses the rest of `user.memberof -any (group.objectId -in ['id', ...])`.
func (p *ruleParser) parseMemberOf() (*ruleNode, error) {
	if err := p.expect("-any"); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	if err := p.expect("group.objectId"); err != nil {
		return nil, err
	}
	if err := p.expect("-in"); err != nil {
		return nil, err
	}
	ids, err := p.parseList()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	for i, id := range ids {
		ids[i] = strings.ToLower(strings.TrimSpace(id))
	}
	return &ruleNode{op: "memberof", groupIDs: ids}, nil
}

// parseList parses ["a", "b"] (quoted strings only).
func (p *ruleParser) parseList() ([]string, error) {
	if err := p.expect("["); err != nil {
		return nil, err
	}
	var vals []string
	for {
		v, ok := p.peek()
		if !ok {
			return nil, fmt.Errorf("%w: unterminated list", ErrUnsupportedRule)
		}
		if !v.quoted {
			return nil, fmt.Errorf("%w: list values must be quoted, found %q", ErrUnsupportedRule, v.text)
		}
		p.pos++
		vals = append(vals, v.text)
		if p.keyword("]") {
			return vals, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// usesMemberOf reports whether the rule looks at group memberships.
func (n *ruleNode) usesMemberOf() bool {
	if n.op == "memberof" {
		return true
	}
	for _, k := range n.kids {
		if k.usesMemberOf() {
			return true
		}
	}
	return false
}

// match evaluates the rule for u; memberOf lists the groups u is a direct member of.
func (n *ruleNode) match(u *User, memberOf []string) bool {
	switch n.op {
	case "and":
		return n.kids[0].match(u, memberOf) && n.kids[1].match(u, memberOf)
	case "or":
		return n.kids[0].match(u, memberOf) || n.kids[1].match(u, memberOf)
	case "not":
		return !n.kids[0].match(u, memberOf)
	case "memberof":
		for _, g := range memberOf {
			for _, id := range n.groupIDs {
				if strings.EqualFold(g, id) {
					return true
				}
			}
		}
		return false
	}
	v := n.get(u)
	if n.null {
		if n.cmp == "eq" {
			return v == ""
		}
		return v != ""
	}
	lv := strings.ToLower(v)
	switch n.cmp {
	case "eq":
		return strings.EqualFold(v, n.values[0])
	case "ne":
		return !strings.EqualFold(v, n.values[0])
	case "startswith":
		return strings.HasPrefix(lv, strings.ToLower(n.values[0]))
	case "notstartswith":
		return !strings.HasPrefix(lv, strings.ToLower(n.values[0]))
	case "contains":
		return strings.Contains(lv, strings.ToLower(n.values[0]))
	case "notcontains":
		return !strings.Contains(lv, strings.ToLower(n.values[0]))
	case "match":
		return n.re.MatchString(v)
	case "notmatch":
		return !n.re.MatchString(v)
	case "in", "notin":
		in := false
		for _, x := range n.values {
			if strings.EqualFold(v, x) {
				in = true
				break
			}
		}
		return in == (n.cmp == "in")
	}
	return false
}
