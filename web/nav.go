package web

// Navigation below 1280 px: the entries a role has are each shown once, either in the bar or,
// for the least-used ones (NavItem.More), behind the "More" disclosure at the bar's end. Both
// are rendered and static/app.css shows one of them per width (display: none takes the other
// out of the tab order and of the accessibility tree), so no script is needed.

// MoreNav is the entries the "More" disclosure holds below 1280 px, in navigation order.
func (l Layout) MoreNav() []NavItem {
	var more []NavItem
	for _, n := range l.Nav {
		if n.More {
			more = append(more, n)
		}
	}
	return more
}

// MoreHoldsCurrent says whether the current page is one of MoreNav's, so that "More" is marked
// as holding it.
func (l Layout) MoreHoldsCurrent() bool {
	for _, n := range l.Nav {
		if n.More && n.Active {
			return true
		}
	}
	return false
}
