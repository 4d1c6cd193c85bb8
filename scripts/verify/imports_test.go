package verify_test

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The verifier reads the outbox on its own: of the projectors' shared
// code it uses only readmodel, to find where a read model lives, so a
// mistake in their catalogue cannot repeat itself here.
func TestVerifierSharesNoPayloadCode(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	const shared = "github.com/activityapp/event-processor/shared/"
	for _, path := range pkg.Imports {
		if strings.HasPrefix(path, shared) {
			assert.Equal(t, shared+"readmodel", path)
		}
	}
}
