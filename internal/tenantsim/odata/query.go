// Package odata parses the OData system query options that Microsoft Graph v1.0 accepts on the
// directory collections the simulated tenant serves ($select, $filter, $top, $skiptoken, $count,
// $orderby, $search), and evaluates $filter expressions against directory objects. It knows
// Graph's syntax and its error wording, but nothing of the tenant: resources plug in through
// Schema (what may be filtered, and how) and Accessor (how to read a property).
package odata

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Error is a query error, shaped so the HTTP layer can render Graph's error body.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Graph's error codes for query problems.
const (
	CodeBadRequest       = "BadRequest"
	CodeRequestBad       = "Request_BadRequest"
	CodeUnsupportedQuery = "Request_UnsupportedQuery"
)

func badRequest(format string, a ...any) *Error {
	return &Error{Status: 400, Code: CodeBadRequest, Message: fmt.Sprintf(format, a...)}
}

func unsupported(format string, a ...any) *Error {
	return &Error{Status: 400, Code: CodeUnsupportedQuery, Message: fmt.Sprintf(format, a...)}
}

// Page sizes as Graph applies them to directory collections.
const (
	DefaultTop = 100
	MaxTop     = 999
)

// MaxOptionLength bounds any single query option; Graph refuses URLs far shorter than this.
const MaxOptionLength = 16 << 10

// OrderBy is a parsed $orderby: one property and a direction.
type OrderBy struct {
	Property string
	Desc     bool
}

// SearchClause is one "property:term" of $search.
type SearchClause struct {
	Property string
	Term     string
}

// Query holds the parsed system query options of one request.
type Query struct {
	Select     []string // as given, trimmed; nil = default properties
	Filter     Expr     // nil = no $filter
	FilterText string
	Top        int // DefaultTop unless $top was given
	TopSet     bool
	SkipToken  string
	DeltaToken string
	Count      bool // $count=true
	OrderBy    *OrderBy
	// Search clauses are OR-ed unless SearchAnd is set (Graph takes either, not both).
	Search    []SearchClause
	SearchAnd bool
}

// ParseQuery reads the system query options from a decoded URL query. Options Graph rejects on
// directory objects ($skip, $expand on these routes, $format...) give an *Error; parameters
// without a '$' are left to the caller.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{Top: DefaultTop}
	for key, vals := range v {
		if !strings.HasPrefix(key, "$") {
			continue
		}
		name := strings.ToLower(key)
		if len(vals) > 1 {
			return q, badRequest("Query option '%s' was specified more than once, but it must be specified at most once.", name)
		}
		val := vals[0]
		if len(val) > MaxOptionLength {
			return q, badRequest("The query option '%s' is too long.", name)
		}
		var err error
		switch name {
		case "$select":
			q.Select, err = parseSelect(val)
		case "$filter":
			q.FilterText = val
			q.Filter, err = ParseFilter(val)
		case "$top":
			q.Top, err = parseTop(val)
			q.TopSet = true
		case "$skiptoken":
			q.SkipToken = val
		case "$deltatoken":
			q.DeltaToken = val
		case "$count":
			switch strings.ToLower(val) {
			case "true":
				q.Count = true
			case "false":
			default:
				err = badRequest("Invalid value '%s' for $count query option found. The $count query option requires a Boolean value.", val)
			}
		case "$orderby":
			q.OrderBy, err = parseOrderBy(val)
		case "$search":
			q.Search, q.SearchAnd, err = parseSearch(val)
		case "$skip":
			err = &Error{Status: 400, Code: CodeRequestBad, Message: "'$skip' is not supported by the service."}
		case "$expand", "$format", "$apply", "$compute", "$levels", "$index", "$schemaversion":
			err = unsupported("Query option '%s' is not supported for this request.", name)
		default:
			err = badRequest("The query parameter '%s' is not supported.", key)
		}
		if err != nil {
			return q, err
		}
	}
	return q, nil
}

func parseSelect(val string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(val, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, badRequest("Syntax error: character ',' is not valid at position %d in '%s'.", len(out), val)
		}
		if !isIdent(p) {
			return nil, badRequest("Term '%s' is not valid in a $select or $expand expression.", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case (r >= '0' && r <= '9') || r == '.' || r == '@':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func parseTop(val string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil {
		return 0, badRequest("Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", val)
	}
	if n < 1 || n > MaxTop {
		return 0, &Error{Status: 400, Code: CodeRequestBad,
			Message: fmt.Sprintf("Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", n, MaxTop)}
	}
	return n, nil
}

func parseOrderBy(val string) (*OrderBy, error) {
	if strings.Contains(val, ",") {
		return nil, unsupported("Sorting on more than one property is not supported.")
	}
	f := strings.Fields(val)
	if len(f) == 0 || len(f) > 2 || !isIdent(f[0]) {
		return nil, badRequest("Syntax error in $orderby '%s'.", val)
	}
	ob := &OrderBy{Property: f[0]}
	if len(f) == 2 {
		switch strings.ToLower(f[1]) {
		case "asc":
		case "desc":
			ob.Desc = true
		default:
			return nil, badRequest("Syntax error: character '%s' is not valid in $orderby '%s'.", f[1], val)
		}
	}
	return ob, nil
}

// parseSearch reads Graph's directory $search form: "property:term" clauses in double quotes,
// joined by OR or AND (not both).
func parseSearch(val string) ([]SearchClause, bool, error) {
	s := strings.TrimSpace(val)
	var clauses []SearchClause
	and, or := false, false
	for {
		if !strings.HasPrefix(s, `"`) {
			return nil, false, &Error{Status: 400, Code: CodeRequestBad,
				Message: "Syntax error: the $search value must be enclosed in double quotes, as in \"displayName:term\"."}
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, false, badRequest("Unterminated string in $search '%s'.", val)
		}
		inner := s[1 : 1+end]
		s = strings.TrimSpace(s[2+end:])
		prop, term, ok := strings.Cut(inner, ":")
		prop = strings.TrimSpace(prop)
		if !ok || !isIdent(prop) {
			return nil, false, &Error{Status: 400, Code: CodeRequestBad,
				Message: fmt.Sprintf("Invalid $search clause '%s': expected \"property:term\".", inner)}
		}
		clauses = append(clauses, SearchClause{Property: prop, Term: strings.TrimSpace(term)})
		if len(clauses) > 15 {
			return nil, false, unsupported("Too many clauses in $search. Max allowed: 15.")
		}
		if s == "" {
			break
		}
		op, rest, _ := strings.Cut(s, " ")
		switch op {
		case "OR":
			or = true
		case "AND":
			and = true
		default:
			return nil, false, badRequest("Syntax error at '%s' in $search.", op)
		}
		if and && or {
			return nil, false, unsupported("Mixing AND and OR in $search is not supported.")
		}
		s = strings.TrimSpace(rest)
	}
	return clauses, and, nil
}
