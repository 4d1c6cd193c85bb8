package charts

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// attr is one XML attribute; its value is escaped when written.
type attr struct {
	name, value string
}

func str(name, value string) attr {
	return attr{name: name, value: value}
}

func coord(name string, v float64) attr {
	return attr{name: name, value: formatCoord(v)}
}

func integer(name string, v int) attr {
	return attr{name: name, value: strconv.Itoa(v)}
}

// svgDoc builds an SVG document in memory, one element per line, so a chart
// is written to the caller's writer in one piece or not at all.
type svgDoc struct {
	buf   bytes.Buffer
	depth int
}

// newSVGDoc starts a standalone SVG 1.1 document of the given pixel size.
func newSVGDoc(width, height int) *svgDoc {
	d := &svgDoc{}
	d.buf.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n")
	d.open("svg",
		str("xmlns", "http://www.w3.org/2000/svg"),
		str("version", "1.1"),
		integer("width", width),
		integer("height", height),
		str("viewBox", "0 0 "+strconv.Itoa(width)+" "+strconv.Itoa(height)),
		// Generic families only: the file must not depend on fonts it
		// does not carry.
		str("font-family", "sans-serif"),
	)
	d.empty("rect", str("class", "background"), str("x", "0"), str("y", "0"),
		integer("width", width), integer("height", height), str("fill", "#ffffff"))
	return d
}

func (d *svgDoc) open(name string, attrs ...attr) {
	d.startTag(name, attrs)
	d.buf.WriteString(">\n")
	d.depth++
}

func (d *svgDoc) close(name string) {
	d.depth--
	d.indent()
	d.buf.WriteString("</" + name + ">\n")
}

// empty writes a self-closing element.
func (d *svgDoc) empty(name string, attrs ...attr) {
	d.startTag(name, attrs)
	d.buf.WriteString("/>\n")
}

// textElement writes an element whose only content is escaped text.
func (d *svgDoc) textElement(name, content string, attrs ...attr) {
	d.startTag(name, attrs)
	d.buf.WriteString(">")
	escapeInto(&d.buf, content)
	d.buf.WriteString("</" + name + ">\n")
}

func (d *svgDoc) startTag(name string, attrs []attr) {
	d.indent()
	d.buf.WriteString("<" + name)
	for _, a := range attrs {
		d.buf.WriteString(" " + a.name + `="`)
		escapeInto(&d.buf, a.value)
		d.buf.WriteString(`"`)
	}
}

func (d *svgDoc) indent() {
	d.buf.WriteString(strings.Repeat("  ", d.depth))
}

// writeTo closes the root element and writes the whole document.
func (d *svgDoc) writeTo(w io.Writer) error {
	d.close("svg")
	_, err := w.Write(d.buf.Bytes())
	return err
}

// escapeInto escapes text for XML content and attribute values alike;
// xml.EscapeText also replaces characters XML cannot hold at all.
func escapeInto(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s)) // writes to a bytes.Buffer cannot fail
}
