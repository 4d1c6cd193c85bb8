package events

import (
	"slices"
	"strconv"
	"strings"
)

// A version reader turns a payload of another schema version of one event
// type into the current shape (the type's V1 struct), so that projections
// and the verifier deal with one shape per type.
type versionReader func(payload []byte) ([]byte, error)

type versionKey struct {
	eventType string
	version   int
}

// versionReaders are the readers this build has, registered by the files
// of the versions it reads (a build with the events_schema_v1only tag has
// none: the projectors as they were before version 2 existed).
var versionReaders = map[versionKey]versionReader{}

func registerVersion(eventType string, version int, read versionReader) {
	versionReaders[versionKey{eventType, version}] = read
}

// readableVersions lists the schema versions this build reads of
// eventType, e.g. "1" or "1, 2".
func readableVersions(eventType string) string {
	vs := []int{CurrentSchemaVersion}
	for k := range versionReaders {
		if k.eventType == eventType {
			vs = append(vs, k.version)
		}
	}
	slices.Sort(vs)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Itoa(v)
	}
	return strings.Join(out, ", ")
}

// ReadsVersion reports whether this build reads version of eventType's
// payload.
func ReadsVersion(eventType string, version int) bool {
	if version == CurrentSchemaVersion {
		return true
	}
	_, ok := versionReaders[versionKey{eventType, version}]
	return ok
}
