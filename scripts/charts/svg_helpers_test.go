package charts_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// svgNode is a generic XML element tree, enough to inspect a chart.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []svgNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n *svgNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *svgNode) float(t *testing.T, name string) float64 {
	t.Helper()
	raw, ok := n.attr(name)
	require.Truef(t, ok, "<%s> has no %s attribute", n.XMLName.Local, name)
	v, err := strconv.ParseFloat(raw, 64)
	require.NoError(t, err)
	return v
}

func (n *svgNode) int(t *testing.T, name string) int {
	t.Helper()
	raw, ok := n.attr(name)
	require.Truef(t, ok, "<%s> has no %s attribute", n.XMLName.Local, name)
	v, err := strconv.Atoi(raw)
	require.NoError(t, err)
	return v
}

// byClass returns all elements below n (n included) with the given class,
// in document order.
func (n *svgNode) byClass(class string) []*svgNode {
	var found []*svgNode
	n.walk(func(e *svgNode) {
		if c, _ := e.attr("class"); c == class {
			found = append(found, e)
		}
	})
	return found
}

func (n *svgNode) walk(visit func(*svgNode)) {
	visit(n)
	for i := range n.Children {
		n.Children[i].walk(visit)
	}
}

func texts(nodes []*svgNode) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Text
	}
	return out
}

// geometryAttrs are the attributes that hold pixel numbers.
var geometryAttrs = map[string]bool{
	"x": true, "y": true, "width": true, "height": true, "x1": true, "y1": true,
	"x2": true, "y2": true, "cx": true, "cy": true, "r": true,
}

// parseChart checks that out is one well-formed standalone SVG document
// whose every coordinate is a finite number, and returns its root.
func parseChart(t *testing.T, out []byte) *svgNode {
	t.Helper()

	dec := xml.NewDecoder(bytes.NewReader(out))
	roots := 0
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "chart is not well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				require.Empty(t, strings.TrimSpace(string(tok)), "text outside the root element")
			}
		case xml.Directive:
			t.Fatalf("unexpected directive %q (no DTD wanted)", tok)
		}
	}
	require.Equal(t, 1, roots, "want exactly one root element")

	var root svgNode
	require.NoError(t, xml.Unmarshal(out, &root))
	require.Equal(t, "svg", root.XMLName.Local)
	require.Equal(t, "http://www.w3.org/2000/svg", root.XMLName.Space)
	version, _ := root.attr("version")
	require.Equal(t, "1.1", version)
	width, height := root.float(t, "width"), root.float(t, "height")
	viewBox, _ := root.attr("viewBox")
	require.Equal(t, "0 0 "+formatInt(width)+" "+formatInt(height), viewBox)

	text := string(out)
	for _, forbidden := range []string{"<script", "<style", "@font-face", "href="} {
		require.NotContains(t, text, forbidden, "chart must be self-contained")
	}

	root.walk(func(e *svgNode) {
		for _, a := range e.Attrs {
			if a.Name.Local != "data-series" {
				require.NotContainsf(t, a.Value, "NaN", "<%s %s>", e.XMLName.Local, a.Name.Local)
				require.NotContainsf(t, a.Value, "Inf", "<%s %s>", e.XMLName.Local, a.Name.Local)
			}
			if geometryAttrs[a.Name.Local] && e.XMLName.Local != "svg" {
				v, err := strconv.ParseFloat(a.Value, 64)
				require.NoErrorf(t, err, "<%s %s=%q>", e.XMLName.Local, a.Name.Local, a.Value)
				require.Falsef(t, math.IsNaN(v) || math.IsInf(v, 0), "<%s %s=%q>", e.XMLName.Local, a.Name.Local, a.Value)
				if a.Name.Local == "width" || a.Name.Local == "height" {
					require.GreaterOrEqualf(t, v, 0.0, "<%s %s=%q>", e.XMLName.Local, a.Name.Local, a.Value)
				}
			}
		}
		if e.XMLName.Local == "polyline" {
			points, _ := e.attr("points")
			for _, v := range pointNumbers(t, points) {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
			}
		}
	})
	return &root
}

func formatInt(v float64) string {
	return strconv.Itoa(int(v))
}

// pointNumbers parses a polyline's points attribute into x,y pairs.
func pointNumbers(t *testing.T, points string) []float64 {
	t.Helper()
	var out []float64
	for pair := range strings.FieldsSeq(points) {
		xy := strings.Split(pair, ",")
		require.Lenf(t, xy, 2, "point %q", pair)
		for _, s := range xy {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			out = append(out, v)
		}
	}
	return out
}

// requireNiceSteps checks that labelled ticks are evenly spaced by
// 1, 2 or 5 × 10^k.
func requireNiceSteps(t *testing.T, ticks []float64) {
	t.Helper()
	require.GreaterOrEqual(t, len(ticks), 2)
	step := ticks[1] - ticks[0]
	require.Positive(t, step)
	exp := math.Floor(math.Log10(step) + 1e-9)
	mantissa := step / math.Pow10(int(exp))
	nice := false
	for _, m := range []float64{1, 2, 5} {
		if math.Abs(mantissa-m) < 1e-6 {
			nice = true
		}
	}
	require.Truef(t, nice, "step %v is not 1, 2 or 5 × 10^k (ticks %v)", step, ticks)
	for i := 1; i < len(ticks); i++ {
		require.InDeltaf(t, step, ticks[i]-ticks[i-1], step*1e-6, "ticks %v not evenly spaced", ticks)
	}
}

// tickLabels parses the tick labels of the axis group with the given class.
func tickLabels(t *testing.T, root *svgNode, axisClass string) []float64 {
	t.Helper()
	groups := root.byClass(axisClass)
	require.Len(t, groups, 1)
	var ticks []float64
	for _, label := range groups[0].byClass("tick-label") {
		v, err := strconv.ParseFloat(label.Text, 64)
		require.NoErrorf(t, err, "tick label %q", label.Text)
		ticks = append(ticks, v)
	}
	return ticks
}

type failingWriter struct{}

var errWriteFailed = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }
