package debezium

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small JSON walker used instead of json.Unmarshal on the
// hot path. It only ever runs over input that json.Valid has accepted, so it
// does no validation of its own; that is what lets it pick members out of
// an envelope without allocating, and match keys case-sensitively (unlike
// encoding/json's struct decoding, which would take "OP" for "op").
// Every index is still bounds-checked, so a bug degrades into a decode
// error, never a panic.

// members iterates over the members of a validated JSON object.
type members struct {
	data []byte
	pos  int
}

// objectMembers returns an iterator over raw's members, and false when raw
// is not a JSON object.
func objectMembers(raw []byte) (members, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return members{}, false
	}
	return members{data: raw, pos: i + 1}, true
}

// next returns the next member's key (the bytes between the quotes, escapes
// intact: compare with keyString) and its raw value.
func (m *members) next() (key, value []byte, ok bool) {
	d := m.data
	i := skipSpace(d, m.pos)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		m.pos = len(d)
		return nil, nil, false
	}
	end := stringEnd(d, i)
	if end-1 <= i {
		m.pos = len(d)
		return nil, nil, false
	}
	key = d[i+1 : end-1]
	i = skipSpace(d, end)
	if i >= len(d) || d[i] != ':' {
		m.pos = len(d)
		return nil, nil, false
	}
	i = skipSpace(d, i+1)
	vend := valueEnd(d, i)
	if vend <= i {
		m.pos = len(d)
		return nil, nil, false
	}
	m.pos = vend
	return key, d[i:vend], true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// trimSpace trims JSON whitespace.
func trimSpace(d []byte) []byte {
	i := skipSpace(d, 0)
	j := len(d)
	for j > i && isSpace(d[j-1]) {
		j--
	}
	return d[i:j]
}

// stringEnd returns the index just past the string starting at d[i] == '"'.
func stringEnd(d []byte, i int) int {
	for j := i + 1; j < len(d); j++ {
		switch d[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(d)
}

// valueEnd returns the index just past the value starting at d[i].
func valueEnd(d []byte, i int) int {
	if i >= len(d) {
		return len(d)
	}
	switch d[i] {
	case '"':
		return stringEnd(d, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(d); j++ {
			switch d[j] {
			case '"':
				j = stringEnd(d, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(d)
	default:
		j := i
		for j < len(d) && d[j] != ',' && d[j] != '}' && d[j] != ']' && !isSpace(d[j]) {
			j++
		}
		return j
	}
}

// unescapedKey returns a raw member key with its escapes decoded; keys
// without escapes (all of Debezium's) are returned as they are.
func unescapedKey(key []byte) []byte {
	if bytes.IndexByte(key, '\\') < 0 {
		return key
	}
	return unquoteContent(key)
}

// keyString returns a raw member key as a string.
func keyString(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key)
	}
	return string(unquoteContent(key))
}

// isNull reports whether a raw value is absent (nil) or JSON null.
func isNull(raw []byte) bool { return raw == nil || string(raw) == "null" }

// jsonKind names the type of a raw value for error messages.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// stringValue returns the text of a raw JSON string, and false when raw is
// not a string.
func stringValue(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	c := raw[1 : len(raw)-1]
	if bytes.IndexByte(c, '\\') < 0 && utf8.Valid(c) {
		return string(c), true
	}
	return string(unquoteContent(c)), true
}

// stringBytes is stringValue returning a fresh byte slice.
func stringBytes(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	c := raw[1 : len(raw)-1]
	if bytes.IndexByte(c, '\\') < 0 && utf8.Valid(c) {
		return bytes.Clone(c), true
	}
	return unquoteContent(c), true
}

// intValue parses a raw JSON number that must be an integer.
func intValue(raw []byte) (int64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// unquoteContent decodes the content of a JSON string (without its quotes)
// exactly as encoding/json does, including its replacement of invalid
// UTF-8 and unpaired surrogates with U+FFFD.
func unquoteContent(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return out
			}
			switch s[i+1] {
			case '"', '\\', '/':
				out = append(out, s[i+1])
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					return out
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return out
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, unicode.ReplacementChar)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
		}
	}
	return out
}

// hex4 decodes the four hex digits at s[i:i+4], or returns -1.
func hex4(s []byte, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// compactInPlace removes insignificant whitespace from validated JSON,
// reusing b's storage.
func compactInPlace(b []byte) []byte {
	w := 0
	inString := false
	for r := 0; r < len(b); r++ {
		c := b[r]
		if inString {
			b[w] = c
			w++
			switch c {
			case '\\':
				if r+1 < len(b) {
					r++
					b[w] = b[r]
					w++
				}
			case '"':
				inString = false
			}
			continue
		}
		if isSpace(c) {
			continue
		}
		if c == '"' {
			inString = true
		}
		b[w] = c
		w++
	}
	return b[:w]
}
