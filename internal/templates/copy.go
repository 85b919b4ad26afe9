package templates

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Source is a template copied from a user or a group, to start an edit from.
type Source struct {
	Kind     string // "user" or "group"
	ID       string
	Name     string
	Template []model.AssignedLicense // canonical
}

// CopyFromUser is the licenses a user holds (assignedLicenses, with their disabled plans) as a
// template: the field's trick of setting up a template user and copying it. ref is an object id
// or user principal name; the user is read from Graph (the snapshot when Graph fails).
func (s *Service) CopyFromUser(ctx context.Context, ref string) (Source, error) {
	ref = strings.TrimSpace(ref)
	if !model.ValidObjectRef(ref) {
		return Source{}, &model.InputError{Message: "Give the user's user principal name or object id to copy from.", Field: "from-user"}
	}
	u, err := s.graph.User(ctx, ref)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return Source{}, &model.InputError{Message: fmt.Sprintf("There is no user %q to copy from.", text.Clip(ref, 80)), Field: "from-user"}
		}
		snap, serr := s.store.User(ctx, ref)
		if serr != nil {
			return Source{}, err
		}
		u = snap
	}
	if len(u.AssignedLicenses) == 0 {
		return Source{}, &model.InputError{Message: fmt.Sprintf("%s holds no license: there is nothing to copy.", text.FirstNonEmpty(u.DisplayName, u.UserPrincipalName, ref)), Field: "from-user"}
	}
	return Source{Kind: "user", ID: u.ID, Name: text.FirstNonEmpty(u.DisplayName, u.UserPrincipalName, u.ID),
		Template: licensing.CanonicalTemplate(u.AssignedLicenses)}, nil
}

// CopyFromGroup is another group's template. ref is an object id or a licensed group's exact
// name.
func (s *Service) CopyFromGroup(ctx context.Context, ref string) (Source, error) {
	g, err := s.FindGroup(ctx, ref)
	if err != nil {
		var ie *model.InputError
		if errors.As(err, &ie) {
			ie.Field = "from-group"
		}
		return Source{}, err
	}
	if fresh, err := s.graph.Group(ctx, g.ID); err == nil {
		g = fresh
	}
	if len(g.AssignedLicenses) == 0 {
		return Source{}, &model.InputError{Message: fmt.Sprintf("Group %q assigns no license: there is nothing to copy.", g.DisplayName), Field: "from-group"}
	}
	return Source{Kind: "group", ID: g.ID, Name: text.FirstNonEmpty(g.DisplayName, g.ID), Template: licensing.CanonicalTemplate(g.AssignedLicenses)}, nil
}

// FindGroup finds a group by object id (any group, from Graph when the snapshot does not
// license it) or by name (a licensed group of the snapshot, else any group Graph finds by that
// exact name). A name two groups share is an *model.InputError listing them.
func (s *Service) FindGroup(ctx context.Context, ref string) (model.Group, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 256 {
		return model.Group{}, &model.InputError{Message: "Give the group's name or object id."}
	}
	groups, err := s.store.LicensedGroups(ctx)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return model.Group{}, err
	}
	var named []model.Group
	for _, g := range groups {
		if model.SameID(g.ID, ref) {
			return g, nil
		}
		if strings.EqualFold(g.DisplayName, ref) {
			named = append(named, g)
		}
	}
	if len(named) == 0 && model.ValidObjectID(ref) {
		if g, err := s.graph.Group(ctx, ref); err == nil {
			return g, nil
		} else if !errors.Is(err, model.ErrNotFound) {
			return model.Group{}, err
		}
	}
	if len(named) == 0 {
		if named, err = s.graph.GroupsNamed(ctx, ref); err != nil {
			return model.Group{}, err
		}
	}
	switch len(named) {
	case 0:
		return model.Group{}, &model.InputError{Message: fmt.Sprintf("There is no group %q: give its exact name or its object id.", text.Clip(ref, 80))}
	case 1:
		return named[0], nil
	}
	e := &model.InputError{Message: fmt.Sprintf("%d groups are named %q: give the object id of one.", len(named), text.Clip(ref, 80))}
	for _, g := range named {
		e.Problems = append(e.Problems, g.DisplayName+" ("+g.ID+")")
	}
	return model.Group{}, e
}
