package web

import (
	"strings"
	"testing"
	"time"
)

func TestLineChart(t *testing.T) {
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 90)
	day := func(d int) time.Time { return from.AddDate(0, 0, d) }

	t.Run("empty", func(t *testing.T) {
		c := LineChart(nil, from, to, 720, 220, "Use")
		if !c.Empty || c.Desc == "" || c.Consumed != "" {
			t.Errorf("%+v", c)
		}
	})
	t.Run("to scale", func(t *testing.T) {
		c := LineChart([]ChartPoint{{day(0), 50, 100}, {day(45), 80, 100}, {day(90), 90, 120}}, from, to, 720, 220, "Use")
		if c.Empty || c.PurchasedOffScale || c.Purchased == "" || c.LastConsumed != 90 || c.LastPurchased != 120 {
			t.Fatalf("%+v", c)
		}
		if got := c.YTicks[len(c.YTicks)-1].Label; got != "200" {
			t.Errorf("top tick %q, want 200 (120 rounded up)", got)
		}
		if c.XTicks[0].Anchor != "start" || c.XTicks[4].Anchor != "end" || c.XTicks[2].Anchor != "middle" {
			t.Errorf("anchors %+v", c.XTicks)
		}
		// The newest consumed point is at the right edge, 90/200 of the way up.
		wantY := float64(c.Bottom) - 0.45*float64(c.Bottom-c.PlotTop)
		if c.ConsumedDot[0] != float64(c.PlotRight) || c.ConsumedDot[1] != wantY {
			t.Errorf("dot %v, want %d,%.1f", c.ConsumedDot, c.PlotRight, wantY)
		}
		if !strings.Contains(c.Desc, "from 50 to 90") || !strings.Contains(c.Desc, "from 100 to 120") {
			t.Errorf("desc %q", c.Desc)
		}
	})
	t.Run("purchased dwarfs use", func(t *testing.T) {
		c := LineChart([]ChartPoint{{day(0), 400, 1_000_000}, {day(90), 459, 1_000_000}}, from, to, 720, 220, "Use")
		if !c.PurchasedOffScale || c.YTicks[len(c.YTicks)-1].Label != "500" || !strings.Contains(c.Desc, "not drawn") {
			t.Errorf("%+v", c)
		}
	})
	t.Run("wide labels get room", func(t *testing.T) {
		c := LineChart([]ChartPoint{{day(0), 900_000, 1_000_000}, {day(90), 950_000, 1_000_000}}, from, to, 720, 220, "Use")
		if c.PurchasedOffScale || float64(c.Left) < float64(len("1,000,000"))*tickCharWidth {
			t.Errorf("left %d for label %q", c.Left, c.YTicks[4].Label)
		}
	})
}

func TestLineChartRendersOffScale(t *testing.T) {
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	c := LineChart([]ChartPoint{{from, 10, 1_000_000}, {from.AddDate(0, 0, 30), 12, 1_000_000}}, from, from.AddDate(0, 0, 30), 720, 220, "Use")
	d := render(t, lineChart(c))
	if d.Find("polyline.purchased").Length() != 0 || d.Find("polyline.consumed").Length() != 1 {
		t.Error("purchased drawn though off scale")
	}
	if got := d.Find("#purchased-off-scale").Text(); !strings.Contains(got, "1,000,000") {
		t.Errorf("caption %q", got)
	}
	if d.Find("svg[role=img] title").Text() != "Use" || d.Find("svg desc").Text() == "" {
		t.Error("chart not labelled for screen readers")
	}
}

func TestSparklineFitsUseWhenPurchasedDwarfsIt(t *testing.T) {
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	pts := []ChartPoint{{at, 0, 1_000_000}, {at.AddDate(0, 0, 1), 500, 1_000_000}}
	if got := Sparkline(pts, 120, 28); got != "0.0,27.0 120.0,1.0" {
		t.Errorf("off scale: %q, want use from the bottom to the top", got)
	}
	pts[1].Purchased, pts[0].Purchased = 1000, 1000
	if got := Sparkline(pts, 120, 28); got != "0.0,27.0 120.0,14.0" {
		t.Errorf("to scale: %q, want use to half way", got)
	}
	if Sparkline(nil, 120, 28) != "" {
		t.Error("a line without points")
	}
}

func TestHolderSplit(t *testing.T) {
	for _, c := range []struct {
		row  SKURow
		want string
	}{
		{SKURow{}, "nobody holds it"},
		{SKURow{Direct: 10}, "10 direct"},
		{SKURow{Direct: 500, FromGroups: 2500, Both: 1}, "500 direct, 2,500 by group, 1 both"},
	} {
		if got := holderSplit(c.row); got != c.want {
			t.Errorf("%+v: %q, want %q", c.row, got, c.want)
		}
	}
}
