package graph

import (
	"bytes"
	"context"
	"fmt"
	"net/url"

	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// ReferenceResult is what the reference strategy found.
type ReferenceResult struct {
	Groups, LicensedGroups, Members, MembersInError, UsersRead int
}

// referenceObject is what the reference strategy reads of any directory object.
type referenceObject struct {
	ID               string        `json:"id"`
	AssignedLicenses []jsonLicense `json:"assignedLicenses"`
}

// ReferenceScan reads the tenant the way the widely used PowerShell GUI does, for the benchmark
// to compare with: every group at Graph's default page size (100), kept on the client when it
// assigns licenses; for each licensed group, every member and every member with license errors
// at page size 100; then each user in error one request at a time. All of it one request after
// another, through the same client (token, retry, compression) as tenantdesk's own sync.
func (c *Client) ReferenceScan(ctx context.Context) (ReferenceResult, error) {
	var res ReferenceResult
	var licensed []string
	_, err := eachPage(ctx, c, c.collectionURL("/groups", selectOption([]string{"id", "displayName", "assignedLicenses"})), nil, func(p []referenceObject) error {
		res.Groups += len(p)
		for _, g := range p {
			if len(g.AssignedLicenses) > 0 {
				licensed = append(licensed, g.ID)
			}
		}
		return nil
	})
	if err != nil {
		return res, classify(err, "reference scan: list groups", permissions.ReadGroups()[0])
	}
	res.LicensedGroups = len(licensed)
	for _, id := range licensed {
		base := "/groups/" + url.PathEscape(id)
		_, err := eachPage(ctx, c, c.collectionURL(base+"/members", topOption(100)), nil, func(p []referenceObject) error {
			res.Members += len(p)
			return nil
		})
		if err != nil {
			return res, classify(err, "reference scan: list members", permissions.ReadGroups()[0])
		}
		var inError []string
		_, err = eachPage(ctx, c, c.collectionURL(base+"/membersWithLicenseErrors", topOption(100)), nil, func(p []referenceObject) error {
			for _, m := range p {
				inError = append(inError, m.ID)
			}
			return nil
		})
		if err != nil {
			return res, classify(err, "reference scan: list members with license errors", permissions.ReadGroups()[0])
		}
		res.MembersInError += len(inError)
		for _, uid := range inError {
			if _, err := c.getJSON(ctx, c.collectionURL("/users/"+url.PathEscape(uid)), nil); err != nil {
				return res, classify(err, "reference scan: get user", permissions.ReadUsers()[0])
			}
			res.UsersRead++
		}
	}
	return res, nil
}

// UserPageChain fetches every page of users as a full sync asks for them when it may read
// sign-in activity (as the benchmark's tenant lets it: every property it reads, with
// signInActivity, at the same page size), one after another as each page's @odata.nextLink
// allows, and does nothing else with them: nothing is decoded but the link (the last page,
// which has none, is parsed whole to be sure) and nothing is saved. The benchmark measures it
// beside the full sync for the least time the chain of user pages can take against this Graph,
// its latency and its own time to answer included, where the latency floor counts the latency
// alone. It returns how many pages it fetched.
func (c *Client) UserPageChain(ctx context.Context) (int, error) {
	const op = "fetch the pages of users"
	next := c.usersWithSignInsURL()
	pages := 0
	var body bytes.Buffer // one for every page, as a sync reuses its own
	for next != "" {
		if err := c.getJSONInto(ctx, next, nil, &body); err != nil {
			return pages, classify(err, op, permissions.ReadSignIns()[0])
		}
		pages++
		link, err := nextLinkOf(body.Bytes())
		if err != nil {
			return pages, classify(fmt.Errorf("decode %s: %w", pathOf(next), err), op, permissions.ReadSignIns()[0])
		}
		next = link
	}
	return pages, nil
}

// nextLinkOf is a page's @odata.nextLink ("" on the last page): read from the first bytes where
// Graph writes it (peekNextLink), else from the whole page.
func nextLinkOf(body []byte) (string, error) {
	if link, known := peekNextLink(body); known {
		return link, nil
	}
	var p struct {
		NextLink string `json:"@odata.nextLink"`
	}
	err := decodePage(body, &p)
	return p.NextLink, err
}
