package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ChartPoint is one moment of a SKU's use: units consumed and purchased.
type ChartPoint struct {
	At        time.Time
	Consumed  int
	Purchased int
}

// Tick is one axis label at a position in the chart's coordinates; Anchor is its SVG
// text-anchor, so the first and last date labels stay inside the chart.
type Tick struct {
	Pos    float64
	Label  string
	Anchor string
}

// ChartView is a line chart of consumed against purchased units, drawn server-side as SVG: the
// two polylines, the axes' ticks, and a title and description for screen readers.
type ChartView struct {
	Width, Height       int
	Left, Bottom        int    // the plot area's left edge and bottom line
	Consumed, Purchased string // SVG polyline points
	YTicks, XTicks      []Tick
	Title, Desc         string
	Empty               bool
	LastConsumed        int
	LastPurchased       int
	PlotTop, PlotRight  int
	ConsumedDot         [2]float64 // the newest point of each line, marked
	PurchasedDot        [2]float64
	// PurchasedOffScale is set when purchased units dwarf use (a free SKU's 1,000,000, say):
	// the axis then fits use, and purchased is given in the caption rather than drawn as a
	// flat line at the top with use a flat line at the bottom.
	PurchasedOffScale bool
}

// offScaleFactor is how many times the most consumed the most purchased must be before the
// chart stops drawing purchased to scale.
const offScaleFactor = 5

// tickCharWidth is roughly the width of one tick label character at the CSS font size, for
// room on the left of the axis.
const tickCharWidth = 6.2

// niceMax rounds v up to 1, 2 or 5 times a power of ten, so axis labels read well.
func niceMax(v int) int {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(v))))
	for _, m := range []float64{1, 2, 5, 10} {
		if float64(v) <= m*p {
			return int(m * p)
		}
	}
	return int(10 * p)
}

// LineChart lays out points (oldest first) from from to to in a width x height chart with axes.
func LineChart(points []ChartPoint, from, to time.Time, width, height int, title string) ChartView {
	c := ChartView{Width: width, Height: height, Left: 48, Bottom: height - 22, PlotTop: 8, PlotRight: width - 8, Title: title}
	if len(points) == 0 || !to.After(from) {
		c.Empty = true
		c.Desc = "No use recorded in this period yet: every snapshot adds a point."
		return c
	}
	mostConsumed, mostPurchased := 0, 0
	for _, p := range points {
		mostConsumed, mostPurchased = max(mostConsumed, p.Consumed), max(mostPurchased, p.Purchased)
	}
	c.PurchasedOffScale = mostConsumed > 0 && mostPurchased > offScaleFactor*mostConsumed
	top := niceMax(max(mostConsumed, mostPurchased))
	if c.PurchasedOffScale {
		top = niceMax(mostConsumed)
	}
	c.Left = max(c.Left, int(float64(len(Number(top)))*tickCharWidth)+12)
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		f := t.Sub(from).Seconds() / span
		return float64(c.Left) + min(max(f, 0), 1)*float64(c.PlotRight-c.Left)
	}
	y := func(v int) float64 {
		return float64(c.Bottom) - float64(v)/float64(top)*float64(c.Bottom-c.PlotTop)
	}
	var cons, bought []string
	for _, p := range points {
		cons = append(cons, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Consumed)))
		bought = append(bought, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Purchased)))
	}
	c.Consumed, c.Purchased = strings.Join(cons, " "), strings.Join(bought, " ")
	last := points[len(points)-1]
	c.LastConsumed, c.LastPurchased = last.Consumed, last.Purchased
	c.ConsumedDot = [2]float64{x(last.At), y(last.Consumed)}
	c.PurchasedDot = [2]float64{x(last.At), y(last.Purchased)}
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.YTicks = append(c.YTicks, Tick{Pos: y(v), Label: Number(v)})
	}
	days := int(to.Sub(from).Hours() / 24)
	for i := 0; i <= 4; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / 4))
		label := t.Format("2 Jan")
		if days > 200 {
			label = t.Format("Jan 2006")
		}
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, Tick{Pos: x(t), Label: label, Anchor: anchor})
	}
	first := points[0]
	c.Desc = fmt.Sprintf("From %s to %s: consumed units went from %s to %s; purchased units from %s to %s.",
		first.At.Format("2 Jan 2006"), last.At.Format("2 Jan 2006"), Number(first.Consumed), Number(last.Consumed),
		Number(first.Purchased), Number(last.Purchased))
	if c.PurchasedOffScale {
		c.Desc += " Purchased units are far above use and are not drawn, so use can be read."
	}
	return c
}

// Sparkline is the polyline points of consumed units (oldest first) in a width x height box,
// scaled to the most purchased or consumed (to the most consumed when purchased dwarfs it, as
// the chart does); "" without points.
func Sparkline(points []ChartPoint, width, height int) string {
	if len(points) == 0 {
		return ""
	}
	mostConsumed, mostPurchased := 0, 0
	for _, p := range points {
		mostConsumed, mostPurchased = max(mostConsumed, p.Consumed), max(mostPurchased, p.Purchased)
	}
	top := max(1, mostConsumed, mostPurchased)
	if mostConsumed > 0 && mostPurchased > offScaleFactor*mostConsumed {
		top = mostConsumed
	}
	var out []string
	for i, p := range points {
		x := 0.0
		if len(points) > 1 {
			x = float64(i) / float64(len(points)-1) * float64(width)
		}
		y := float64(height) - float64(p.Consumed)/float64(top)*float64(height-2) - 1
		out = append(out, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
	}
	return strings.Join(out, " ")
}
