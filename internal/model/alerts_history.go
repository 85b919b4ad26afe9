package model

import "time"

// AlertHistoryQuery asks for a page of the alerts' history: newest first, Offset entries
// skipped, at most Limit; Open only the alerts whose condition lasts (no channel tests); each
// alert with at most Events of its notifications, the newest.
type AlertHistoryQuery struct {
	Open          bool
	Offset, Limit int
	Events        int
}

// AlertHistoryPage is one page of the history and how many entries there are in all.
type AlertHistoryPage struct {
	Entries []AlertHistoryEntry
	Total   int
}

// AlertHistoryEntry is one alert from its start, or one channel test (AlertID 0), with what it
// told when and where that went.
type AlertHistoryEntry struct {
	AlertID    int64 // 0 for a channel test
	Rule       string
	Subject    string
	Title      string
	StartedAt  time.Time
	ResolvedAt time.Time // zero while the condition lasts
	// Events are its notifications, oldest first (the newest AlertHistoryQuery.Events of them);
	// EventCount is how many it has in all.
	Events     []AlertEventRecord
	EventCount int
}

// Latest is the entry's newest notification (the zero value when it has none).
func (e AlertHistoryEntry) Latest() AlertMessage {
	if len(e.Events) == 0 {
		return AlertMessage{}
	}
	return e.Events[len(e.Events)-1].Message
}

// AlertEventRecord is one notification of an alert (or a test) and its deliveries, one per
// channel.
type AlertEventRecord struct {
	ID         int64
	Kind       string // AlertFired, AlertRepeat, AlertResolved or AlertTest
	At         time.Time
	Message    AlertMessage
	Deliveries []AlertDeliveryRecord
}

// AlertDeliveryRecord is how one notification went to one channel: sent at SentAt, or pending
// with Attempts failed ones (Error the last's why) and the next try at NextAt.
type AlertDeliveryRecord struct {
	ID             int64
	EventID        int64
	EventAt        time.Time
	ChannelID      int64
	ChannelName    string
	ChannelEnabled bool
	Status         string // "pending" or "sent"
	Attempts       int
	NextAt         time.Time
	SentAt         time.Time
	LastAttemptAt  time.Time // zero before the first attempt
	Error          string
}
