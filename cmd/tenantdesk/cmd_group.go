package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
)

// exitNewErrors is the exit code of `group licenses` when the preview predicts members newly in
// error and --allow-errors was not given.
const exitNewErrors = 3

// licenseSpec is one --add value: a license and the plans to switch off in it.
type licenseSpec struct {
	SKU     string
	Disable []string
}

// specList is a repeatable --add flag.
type specList []licenseSpec

func (l *specList) String() string { return fmt.Sprint(*l) }
func (l *specList) Set(v string) error {
	s, err := parseLicenseSpec(v)
	if err != nil {
		return err
	}
	*l = append(*l, s)
	return nil
}

// refList is a repeatable flag of names or ids.
type refList []string

func (l *refList) String() string { return strings.Join(*l, ",") }
func (l *refList) Set(v string) error {
	if v = strings.TrimSpace(v); v == "" || len(v) > 256 {
		return errors.New("give a license's name, part number or GUID")
	}
	*l = append(*l, v)
	return nil
}

// parseLicenseSpec reads SKU or SKU:disable=PLAN,PLAN (names, part numbers or GUIDs; the last
// ":disable=" separates, so a name may hold a colon).
func parseLicenseSpec(v string) (licenseSpec, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 4096 {
		return licenseSpec{}, errors.New("give SKU or SKU:disable=PLAN,PLAN")
	}
	sku, plans := v, ""
	if i := strings.LastIndex(strings.ToLower(v), ":disable="); i >= 0 {
		sku, plans = v[:i], v[i+len(":disable="):]
	}
	s := licenseSpec{SKU: strings.TrimSpace(sku)}
	if s.SKU == "" {
		return licenseSpec{}, fmt.Errorf("%q names no license before :disable=", v)
	}
	for p := range strings.SplitSeq(plans, ",") {
		if p = strings.TrimSpace(p); p != "" {
			s.Disable = append(s.Disable, p)
		}
	}
	if strings.HasSuffix(strings.ToLower(v), ":disable=") || (plans != "" && len(s.Disable) == 0) {
		return licenseSpec{}, fmt.Errorf("%q: name the plans after disable=, separated by commas", v)
	}
	return s, nil
}

// runGroup is `tenantdesk group licenses ...`.
func runGroup(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "licenses" {
		fmt.Fprintln(e.stderr, "Usage: tenantdesk group licenses GROUP [--add SKU[:disable=PLAN,PLAN]]... [--remove SKU]... [--from-user UPN] --dry-run|--apply [--json] [--allow-errors]")
		return errUsage
	}
	return runGroupLicenses(ctx, e, args[1:])
}

// runGroupLicenses previews a change of a group's license template — what is added, removed and
// switched off, the assignLicense body, the PowerShell, and the consequence member by member —
// with the same operations as the web editor, and with --apply makes it and waits for Microsoft
// to process the group. GROUP, SKU and PLAN take names, part numbers or GUIDs. The exit code is
// 3 when members would be newly in error, unless --allow-errors.
func runGroupLicenses(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "group licenses", "GROUP [--add SKU[:disable=PLAN,PLAN]]... [--remove SKU]... [--from-user UPN] --dry-run|--apply")
	cfg.BindFlags(fs)
	var adds specList
	var removes refList
	fs.Var(&adds, "add", "add this license (or set its disabled plans): SKU or SKU:disable=PLAN,PLAN; repeatable")
	fs.Var(&removes, "remove", "remove this license; repeatable")
	fromUser := fs.String("from-user", "", "start from the licenses this user holds (user principal name or object id) instead of the group's")
	dry := fs.Bool("dry-run", false, "preview only")
	apply := fs.Bool("apply", false, "make the change and wait until Microsoft has processed the group")
	asJSON := fs.Bool("json", false, "print the preview (and the outcome) as JSON")
	allow := fs.Bool("allow-errors", false, "exit 0 (and apply) even when members would be newly in error")
	wait := fs.Duration("wait", 30*time.Minute, "how long --apply waits for the processing")
	group, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if group == "" || *dry == *apply {
		fmt.Fprintln(e.stderr, "tenantdesk group licenses: give the GROUP and exactly one of --dry-run or --apply")
		fs.Usage()
		return errUsage
	}
	a, err := openWithSnapshot(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	g, err := a.Templates.FindGroup(ctx, group)
	if err != nil {
		return err
	}
	ed, err := a.Templates.Editor(ctx, g.ID)
	if err != nil {
		return err
	}
	proposed, err := proposedTemplate(ctx, a.Templates, ed, *fromUser, adds, removes)
	if err != nil {
		return err
	}
	p, err := a.Templates.Preview(ctx, g.ID, proposed)
	if err != nil {
		return err
	}
	risky := p.Consequence.NewlyInError > 0 && !*allow
	out := previewReport(p)
	if *apply && !risky && !p.Diff.Empty() {
		out.Applied, err = applyAndWait(ctx, e, a, p, *wait, !*asJSON)
		if err != nil {
			return err
		}
	}
	if *asJSON {
		if err := printJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		printPreview(e.stdout, p, out)
	}
	if risky {
		fmt.Fprintf(e.stderr, "tenantdesk group licenses: %d members would be newly in error; nothing was applied (--allow-errors to go ahead)\n", p.Consequence.NewlyInError)
		return exitError{code: exitNewErrors}
	}
	return nil
}

// parseInterleaved parses fs from args with the one positional argument (GROUP) anywhere.
func parseInterleaved(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > 1 {
		fmt.Fprintf(fs.Output(), "one GROUP only, got %q\n", pos)
		return "", errUsage
	}
	if len(pos) == 0 {
		return "", nil
	}
	return pos[0], nil
}

// proposedTemplate is the group's template (or the user's licenses) with the removals and
// additions, every name resolved against the tenant's subscriptions.
func proposedTemplate(ctx context.Context, t *templates.Service, ed templates.Editor, fromUser string, adds specList, removes refList) ([]model.AssignedLicense, error) {
	tpl := ed.Template
	if fromUser != "" {
		src, err := t.CopyFromUser(ctx, fromUser)
		if err != nil {
			return nil, err
		}
		tpl = src.Template
	}
	skus := make([]model.SKU, 0, len(ed.SKUs))
	for _, o := range ed.SKUs {
		skus = append(skus, model.SKU{ID: o.SKU.ID, PartNumber: o.PartNumber})
	}
	for _, r := range removes {
		id, err := ed.Names.FindSKU(r, skus)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(tpl, func(l model.AssignedLicense) bool { return l.SKUID == id }) {
			return nil, model.Invalid("%s is not in the template: there is nothing to remove.", ed.Names.SKU(id))
		}
		tpl = slices.DeleteFunc(slices.Clone(tpl), func(l model.AssignedLicense) bool { return l.SKUID == id })
	}
	for _, a := range adds {
		id, err := ed.Names.FindSKU(a.SKU, skus)
		if err != nil {
			return nil, err
		}
		l := model.AssignedLicense{SKUID: id}
		for _, p := range a.Disable {
			pid, err := ed.Names.FindPlan(id, p)
			if err != nil {
				return nil, err
			}
			l.DisabledPlans = append(l.DisabledPlans, pid)
		}
		tpl = append(slices.DeleteFunc(slices.Clone(tpl), func(x model.AssignedLicense) bool { return x.SKUID == id }), l)
	}
	return licensing.CanonicalTemplate(tpl), nil
}

// groupReport is what --json prints.
type groupReport struct {
	Group       struct{ ID, Name string } `json:"group"`
	Diff        []string                  `json:"diff"`
	NoChange    bool                      `json:"no_change"`
	Body        json.RawMessage           `json:"body"`
	PowerShell  string                    `json:"powershell"`
	Consequence consequenceJSON           `json:"consequence"`
	Applied     *appliedJSON              `json:"applied,omitempty"`
}

type consequenceJSON struct {
	Members       int          `json:"members"`
	FullyLicensed int          `json:"fully_licensed"`
	NewlyInError  int          `json:"newly_in_error"`
	StillInError  int          `json:"still_in_error"`
	Fixed         int          `json:"fixed"`
	Unchanged     int          `json:"unchanged"`
	Units         []string     `json:"units"`
	Problems      []string     `json:"problems"`
	Warnings      []string     `json:"warnings"`
	Changing      []memberJSON `json:"members_changing"`
}

type memberJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	UPN     string `json:"upn"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

type appliedJSON struct {
	Processing string `json:"processing"`
	Summary    string `json:"summary"`
	Licensed   int    `json:"licensed"`
	InError    int    `json:"in_error"`
	Job        int64  `json:"job"`
}

func previewReport(p templates.Preview) groupReport {
	var r groupReport
	r.Group.ID, r.Group.Name = p.Group.ID, p.Group.DisplayName
	r.Diff, r.NoChange = p.Diff.Lines(), p.Diff.Empty()
	r.Body, r.PowerShell = json.RawMessage(p.Body), p.PowerShell
	c := p.Consequence
	r.Consequence = consequenceJSON{Members: len(c.Members), FullyLicensed: c.FullyLicensed, NewlyInError: c.NewlyInError,
		StillInError: c.StillInError, Fixed: c.Fixed, Unchanged: c.Unchanged, Units: []string{}, Problems: []string{},
		Warnings: append([]string{}, p.Problems...), Changing: []memberJSON{}}
	w := p.Words()
	r.Consequence.Units = append(r.Consequence.Units, w.Units...)
	r.Consequence.Problems = append(append(r.Consequence.Problems, w.TemplateProblems...), w.Findings...)
	for _, m := range c.Members {
		if m.Outcome == licensing.OutcomeUnchanged {
			continue
		}
		mj := memberJSON{ID: m.User.ID, Name: m.User.DisplayName, UPN: m.User.UserPrincipalName, Outcome: string(m.Outcome)}
		if m.Failure != nil {
			mj.Reason = p.Names.Reason(*m.Failure, p.GroupName)
		}
		r.Consequence.Changing = append(r.Consequence.Changing, mj)
	}
	return r
}

// printPreview writes the preview for people.
func printPreview(w io.Writer, p templates.Preview, r groupReport) {
	fmt.Fprintf(w, "Group %s (%s)\n", p.Group.DisplayName, p.Group.ID)
	if r.NoChange {
		fmt.Fprintln(w, "No change: this is the template the group has now.")
		return
	}
	fmt.Fprintln(w, "\nThe change:")
	for _, l := range r.Diff {
		fmt.Fprintln(w, "  "+l)
	}
	c := r.Consequence
	fmt.Fprintf(w, "\nWhat happens: %d members; %d fully licensed after, %d newly in error, %d still in error, %d fixed, %d unchanged.\n",
		c.Members, c.FullyLicensed, c.NewlyInError, c.StillInError, c.Fixed, c.Unchanged)
	for _, s := range append(append(c.Units, c.Problems...), c.Warnings...) {
		fmt.Fprintln(w, "  "+s)
	}
	for _, m := range c.Changing {
		if m.Outcome == string(licensing.OutcomeNewlyInError) {
			fmt.Fprintf(w, "  newly in error: %s (%s): %s\n", m.Name, m.UPN, m.Reason)
		}
	}
	fmt.Fprintf(w, "\nassignLicense body:\n%s\n\nPowerShell:\n%s\n", p.Change.IndentedBody(), p.PowerShell)
	if r.Applied != nil {
		fmt.Fprintf(w, "\nApplied; processing %s. %s\n", r.Applied.Processing, r.Applied.Summary)
	}
}

// applyAndWait makes the previewed change, recorded in the activity log as the command line's,
// as the same background job as the web's apply (its page /jobs/N shows it too): it runs the job
// here, with a progress bar on a terminal, until Microsoft has processed the group and every
// member has their outcome. Stopped (Ctrl-C) or killed while it waits, the job is taken up by
// the next tenantdesk serve or demo on this database; the change is never sent twice.
func applyAndWait(ctx context.Context, e env, a *app.App, p templates.Preview, wait time.Duration, lines bool) (*appliedJSON, error) {
	by := templates.Actor{Name: "command line"}
	if u, err := user.Current(); err == nil {
		by.Name = "command line (" + u.Username + ")"
	}
	spec, _, err := a.Templates.ApplyJob(ctx, by, p.Group.ID, p.Current, p.Proposed, wait)
	if err != nil {
		return nil, err
	}
	spec.ActorName = by.Name
	j, err := a.Jobs.Create(context.WithoutCancel(ctx), spec) // the change is made: its job must be kept
	if err != nil {
		return nil, fmt.Errorf("applied, but its job could not be stored: %w", err)
	}
	j, err = runJobWithBar(ctx, e, a, j, "processing")
	if ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "tenantdesk group licenses: stopped while Microsoft processes the group; job %d keeps the outcomes so far and the next 'tenantdesk serve' (or demo) on this database finishes it\n", j.ID)
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("applied, but %w", err)
	}
	if lines {
		if err := printOutcomes(ctx, e.stdout, a, j); err != nil {
			return nil, err
		}
	}
	if j.State != model.JobDone {
		return nil, fmt.Errorf("applied, but the job %s: %s", j.State, j.Error)
	}
	return &appliedJSON{Processing: model.ProcessingComplete, Summary: j.Summary, Licensed: j.Counts[string(assign.StatusLicensed)],
		InError: j.Counts[string(assign.StatusInError)], Job: j.ID}, nil
}
