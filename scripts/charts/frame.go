package charts

// Plot-area margins in pixels; the legend has a column of its own on the
// right so it never covers data.
const (
	marginLeft     = 72
	marginTop      = 48
	marginBottom   = 56
	legendColumn   = 190
	legendRow      = 20
	legendMaxRunes = 24
	tickLength     = 5
)

const (
	axisColour  = "#333333"
	gridColour  = "#e6e6e6"
	mutedColour = "#888888"
)

// frame is the common chart furniture: title, plot area, axes, legend.
type frame struct {
	doc                      *svgDoc
	width, height            float64
	left, top, right, bottom float64 // plot area in pixels
}

func newFrame(width, height int, title string) *frame {
	f := &frame{
		doc:    newSVGDoc(width, height),
		width:  float64(width),
		height: float64(height),
		left:   marginLeft,
		top:    marginTop,
		right:  float64(width - legendColumn),
		bottom: float64(height - marginBottom),
	}
	f.doc.textElement("text", title,
		str("class", "title"), coord("x", f.width/2), coord("y", 28),
		str("text-anchor", "middle"), str("font-size", "18"), str("font-weight", "bold"))
	return f
}

// xRange and yRange are the pixel ranges axes map to; y grows upwards.
func (f *frame) xRange() (float64, float64) { return f.left, f.right }
func (f *frame) yRange() (float64, float64) { return f.bottom, f.top }

// drawAxes draws grid, ticks, tick labels and axis labels. Nil axes (no
// data) get their lines and labels but no ticks.
func (f *frame) drawAxes(x, y *axis, xLabel, yLabel string) {
	if y != nil {
		f.doc.open("g", str("class", "y-axis"), str("font-size", "11"))
		for _, t := range y.ticks {
			py := y.scale.at(t)
			f.doc.empty("line", str("class", "grid"), coord("x1", f.left), coord("y1", py),
				coord("x2", f.right), coord("y2", py), str("stroke", gridColour))
			f.doc.empty("line", coord("x1", f.left-tickLength), coord("y1", py),
				coord("x2", f.left), coord("y2", py), str("stroke", axisColour))
			f.doc.textElement("text", formatTick(t, y.step), str("class", "tick-label"),
				coord("x", f.left-tickLength-3), coord("y", py+4), str("text-anchor", "end"))
		}
		f.doc.close("g")
	}
	if x != nil {
		f.doc.open("g", str("class", "x-axis"), str("font-size", "11"))
		for _, t := range x.ticks {
			px := x.scale.at(t)
			f.doc.empty("line", coord("x1", px), coord("y1", f.bottom),
				coord("x2", px), coord("y2", f.bottom+tickLength), str("stroke", axisColour))
			f.doc.textElement("text", formatTick(t, x.step), str("class", "tick-label"),
				coord("x", px), coord("y", f.bottom+tickLength+14), str("text-anchor", "middle"))
		}
		f.doc.close("g")
	}
	f.doc.empty("polyline", str("class", "axes"), str("fill", "none"), str("stroke", axisColour),
		str("points", formatCoord(f.left)+","+formatCoord(f.top)+" "+
			formatCoord(f.left)+","+formatCoord(f.bottom)+" "+
			formatCoord(f.right)+","+formatCoord(f.bottom)))

	f.doc.textElement("text", xLabel, str("class", "axis-label"), str("font-size", "13"),
		coord("x", (f.left+f.right)/2), coord("y", f.height-14), str("text-anchor", "middle"))
	yLabelX, yLabelY := 18.0, (f.top+f.bottom)/2
	f.doc.textElement("text", yLabel, str("class", "axis-label"), str("font-size", "13"),
		coord("x", yLabelX), coord("y", yLabelY), str("text-anchor", "middle"),
		str("transform", "rotate(-90 "+formatCoord(yLabelX)+" "+formatCoord(yLabelY)+")"))
}

// drawNoData says so in the middle of the plot area.
func (f *frame) drawNoData() {
	f.doc.textElement("text", "no data", str("class", "no-data"), str("font-size", "16"),
		coord("x", (f.left+f.right)/2), coord("y", (f.top+f.bottom)/2),
		str("text-anchor", "middle"), str("fill", mutedColour))
}

// swatchKind is how a legend entry shows its series.
type swatchKind int

const (
	swatchBox swatchKind = iota
	swatchLine
)

// drawLegend lists the series names in the legend column, in series order.
func (f *frame) drawLegend(names []string, kind swatchKind) {
	if len(names) == 0 {
		return
	}
	x := f.right + 20
	f.doc.open("g", str("class", "legend"), str("font-size", "12"))
	for i, name := range names {
		y := f.top + 8 + float64(i)*legendRow
		f.doc.open("g", str("class", "legend-item"))
		switch kind {
		case swatchLine:
			attrs := []attr{coord("x1", x), coord("y1", y), coord("x2", x+18), coord("y2", y),
				str("stroke", seriesColour(i)), str("stroke-width", "2")}
			if dash := seriesDash(i); dash != "" {
				attrs = append(attrs, str("stroke-dasharray", dash))
			}
			f.doc.empty("line", attrs...)
		default:
			f.doc.empty("rect", coord("x", x+3), coord("y", y-6), coord("width", 12), coord("height", 12),
				str("fill", seriesColour(i)))
		}
		f.doc.textElement("text", truncate(name, legendMaxRunes), str("class", "legend-label"),
			coord("x", x+24), coord("y", y+4))
		f.doc.close("g")
	}
	f.doc.close("g")
}
