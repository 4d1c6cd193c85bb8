package debezium

import (
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		file string
	}{
		{"schemas_off", "create_schemas_off.json"},
		{"schemas_on", "create_schemas_on.json"},
	}
	d := newTestDecoder(b)
	for _, c := range cases {
		rec := record(compact(b, fixture(b, c.file)))
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.Value)))
			for b.Loop() {
				if _, err := d.Decode(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("smt_string", func(b *testing.B) {
		rec := smtRecord(smtAggregateID, fixture(b, "smt_string.json"), smtHeaders())
		b.ReportAllocs()
		b.SetBytes(int64(len(rec.Value)))
		for b.Loop() {
			if _, err := d.Decode(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
