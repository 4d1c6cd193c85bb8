package charts

// palette is the fixed series colour cycle: the Okabe–Ito colours, which
// stay distinguishable for colour-blind readers, without the yellow that
// vanishes on white.
var palette = []string{
	"#0072B2", // blue
	"#E69F00", // orange
	"#009E73", // bluish green
	"#D55E00", // vermillion
	"#CC79A7", // reddish purple
	"#56B4E9", // sky blue
	"#000000", // black
}

// seriesColour returns the colour of the i-th series.
func seriesColour(i int) string {
	return palette[i%len(palette)]
}

// seriesDash returns the dash pattern of the i-th line: solid for the first
// round of the palette, dashed once colours repeat, so every line differs.
func seriesDash(i int) string {
	if i/len(palette)%2 == 1 {
		return "8,4"
	}
	return ""
}
