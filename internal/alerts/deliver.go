package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tick"
)

// DefaultBackoff is the wait after n failed attempts: a minute, doubling, at most an hour. A
// delivery is never dropped: it is tried again at least hourly until the channel takes it.
func DefaultBackoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// deliverBatch is how many due deliveries one round reads.
const deliverBatch = 100

// Delivered is what one Deliver call did.
type Delivered struct {
	Sent, Failed int
	Quiet        int // channels in their quiet hours, whose deliveries wait until the end
}

// Deliver sends every delivery that is due, oldest first, and records each attempt: sent, or
// failed with why and tried again after the backoff. Once a channel fails, its other deliveries
// wait for its next try rather than each waiting out a timeout; a channel in its quiet hours is
// sent nothing until they end. Each delivery is claimed before it is sent, so two processes
// (a serve and a `tenantdesk refresh`) never send one twice; calls in one process do not overlap.
func (e *Engine) Deliver(ctx context.Context) (Delivered, error) {
	e.deliverMu.Lock()
	defer e.deliverMu.Unlock()
	var done Delivered
	sender := e.sender()
	backoff := e.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	down := map[int64]bool{}
	for {
		due, err := e.st.DueDeliveries(ctx, e.Now(), deliverBatch)
		if err != nil {
			return done, err
		}
		progressed := false
		handled := map[int64]bool{}
		for i, d := range due {
			if down[d.Channel.ID] || handled[d.ID] {
				continue
			}
			progressed = true
			if until, quiet := QuietUntil(d.Channel.Quiet, e.Now()); quiet {
				// Not an attempt: what is due waits for the end of the channel's quiet hours.
				down[d.Channel.ID] = true
				if err := e.st.PostponeDeliveries(ctx, d.Channel.ID, until); err != nil {
					return done, err
				}
				done.Quiet++
				continue
			}
			// A channel's reminders due in this round go as one message, the digest.
			group := []model.AlertDelivery{d}
			if d.Message.Kind == model.AlertRepeat {
				for _, o := range due[i+1:] {
					if o.Channel.ID == d.Channel.ID && o.Message.Kind == model.AlertRepeat && !handled[o.ID] {
						group = append(group, o)
					}
				}
			}
			var claimed []model.AlertDelivery
			for _, g := range group {
				handled[g.ID] = true
				ok, err := e.st.ClaimDelivery(ctx, g.ID, e.Now(), e.Now().Add(claimFor(sender)))
				if err != nil {
					return done, err
				}
				if ok { // else another process sends it
					claimed = append(claimed, g)
				}
			}
			if len(claimed) == 0 {
				continue
			}
			m := claimed[0].Message
			if len(claimed) > 1 {
				m = e.digest(claimed)
			}
			m.ID = notificationID(claimed)
			code, sendErr := sender.Send(ctx, d.Channel, m)
			at := e.Now()
			// What was sent is recorded even if ctx ended meanwhile: else it goes again.
			ctx := context.WithoutCancel(ctx)
			if sendErr != nil {
				down[d.Channel.ID] = true
				e.log.Warn("alert not delivered", "channel", d.Channel.Name, "deliveries", len(claimed), "attempt", d.Attempts+1, "err", sendErr)
			}
			for _, c := range claimed {
				if sendErr == nil {
					done.Sent++
					err = e.st.RecordAttempt(ctx, c.ID, at, code, "", time.Time{})
				} else {
					done.Failed++
					err = e.st.RecordAttempt(ctx, c.ID, at, code, sendErr.Error(), at.Add(backoff(c.Attempts+1)))
				}
				if err != nil {
					return done, err
				}
			}
			if sendErr != nil {
				if err := e.st.PostponeDeliveries(ctx, d.Channel.ID, at.Add(backoff(d.Attempts+1))); err != nil {
					return done, err
				}
			}
		}
		if !progressed || len(due) < deliverBatch {
			return done, nil
		}
	}
}

// sendNow sends delivery id at once (a channel test, while the person waits), whatever the
// channel's quiet hours, and records the attempt; a failure is final (no retry). It waits for no
// delivery round: Deliver never takes tests.
func (e *Engine) sendNow(ctx context.Context, id int64) (model.AlertDelivery, error) {
	d, err := e.st.AlertDelivery(ctx, id)
	if err != nil || d.Status != "pending" {
		return d, err
	}
	if ok, err := e.st.ClaimDelivery(ctx, id, e.Now(), e.Now().Add(claimFor(e.sender()))); err != nil || !ok {
		return d, err
	}
	m := d.Message
	m.ID = notificationID([]model.AlertDelivery{d})
	code, sendErr := e.sender().Send(ctx, d.Channel, m)
	ctx = context.WithoutCancel(ctx)
	why := ""
	if sendErr != nil {
		why = sendErr.Error()
	}
	if err := e.st.RecordAttempt(ctx, id, e.Now(), code, why, time.Time{}); err != nil {
		return d, err
	}
	if sendErr == nil { // it works now: what waited out a backoff goes at the next round
		if err := e.st.ReleaseDeliveries(ctx, d.Channel.ID, e.Now()); err != nil {
			return d, err
		}
	}
	return e.st.AlertDelivery(ctx, id)
}

// digestFacts is how many reminders a digest names; the rest are counted.
const digestFacts = 25

// digest is the one message that reminds a channel of several open alerts.
func (e *Engine) digest(ds []model.AlertDelivery) model.AlertMessage {
	now := e.Now()
	m := model.AlertMessage{Kind: model.AlertRepeat, Rule: "digest", Subject: "digest",
		Title:   fmt.Sprintf("%d alerts still open", len(ds)),
		Summary: "A reminder of what is still wrong, each since it started. Open tenantdesk for the causes and the fix of each.",
		Link:    e.link("/alerts#open"), Since: now, At: now}
	for i, d := range ds {
		if i == digestFacts {
			m.Facts = append(m.Facts, model.Fact{Name: "And", Value: fmt.Sprintf("%d more", len(ds)-digestFacts)})
			break
		}
		m.Facts = append(m.Facts, model.Fact{Name: "Since " + d.Message.Since.UTC().Format("2 Jan 15:04 UTC"), Value: d.Message.Title})
		if d.Message.Since.Before(m.Since) {
			m.Since = d.Message.Since
		}
	}
	return m
}

// notificationID is the ID of the message that tells of the events of ds: for one event its
// eventID, for a digest one derived from the set of its events (the same set sent again is the
// same digest; one that gained or lost an event while it waited is another).
func notificationID(ds []model.AlertDelivery) string {
	if len(ds) == 1 {
		return eventID(ds[0])
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = eventID(d)
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return "digest-" + hex.EncodeToString(sum[:12])
}

// eventID names the event of d: its number, which the database never gives twice, and a hash
// of what it says and when, which tells it from an event of the same number in another
// database (one restored from an older backup, re-created, another install's).
func eventID(d model.AlertDelivery) string {
	m := d.Message
	sum := sha256.Sum256([]byte(strings.Join([]string{strconv.FormatInt(d.EventID, 10), m.Kind, m.Rule, m.Subject,
		strconv.FormatInt(m.At.UnixNano(), 10)}, "\n")))
	return "event-" + strconv.FormatInt(d.EventID, 10) + "-" + hex.EncodeToString(sum[:6])
}

// claimFor is how long a delivery is held while it is sent: well past the sender's timeout
// (an SMTP conversation has several), so a claim runs out only when its process died.
func claimFor(s *Sender) time.Duration { return 4 * s.timeout() }

func (e *Engine) sender() *Sender {
	if e.Sender == nil {
		return &Sender{}
	}
	return e.Sender
}

// Run delivers what is due every interval until ctx ends, so retries happen between refreshes.
func (e *Engine) Run(ctx context.Context, every time.Duration) {
	e.running.Add(1)
	defer e.running.Done()
	tick.Every(ctx, every, func() {
		if _, err := e.Deliver(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("alerts not delivered", "err", err)
		}
	})
}
