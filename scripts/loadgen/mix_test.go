package loadgen

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Mix
	}{
		{"user=40,activity=30,participant=30", DefaultMix()},
		{" participant = 30 , user=40,activity=30 ", DefaultMix()},
		{"user=100", Mix{User: 100}},
		{"activity=50,participant=50", Mix{Activity: 50, Participant: 50}},
	} {
		got, err := ParseMix(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	roundTrip, err := ParseMix(DefaultMix().String())
	require.NoError(t, err)
	assert.Equal(t, DefaultMix(), roundTrip, "String is what ParseMix reads")
}

func TestParseMixNamesTheBadPart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, names string }{
		{"", "empty"},
		{"user=40,sport=60", `"sport"`},
		{"user40", `"user40"`},
		{"user=forty,activity=60", `"user=forty"`},
		{"user=50,user=50", `"user" given twice`},
		{"user=40,activity=30,participant=20", "sums to 90"},
		{"user=120,activity=-20", "user=120"},
		{"user=-10,activity=110", "user=-10"},
	} {
		_, err := ParseMix(tc.in)
		require.ErrorIs(t, err, ErrInvalidMix, tc.in)
		assert.ErrorContains(t, err, tc.names, tc.in)
	}
}

func TestMixIsAFlagValue(t *testing.T) {
	t.Parallel()
	m := DefaultMix()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&m, "mix", "")
	require.NoError(t, fs.Parse([]string{"-mix", "user=100"}))
	assert.Equal(t, Mix{User: 100}, m)
	assert.Error(t, fs.Parse([]string{"-mix", "user=99"}))
}
