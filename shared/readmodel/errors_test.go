package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/readmodel"
)

// TestPermanentWriteErrors: a write error that no retry can fix is
// permanent (the router poisons the event behind it, with this reason);
// anything else is transient and retried. Each case is the error the
// driver returns for it, as the store sees it from BulkWrite.
func TestPermanentWriteErrors(t *testing.T) {
	writeError := func(code int, msg string) error {
		return mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{
			{WriteError: mongo.WriteError{Index: 0, Code: code, Message: msg}},
		}}
	}
	tests := []struct {
		name        string
		err         error
		permanent   bool
		reason      string
		unavailable bool
	}{
		{"document too large", writeError(10334, "BSONObj size: 16793600 is invalid"), true, "BSONObjectTooLarge (code 10334)", false},
		{"document too large after an update", writeError(17419, "Resulting document after update is larger than 16777216"), true, "DocumentTooLargeAfterUpdate", false},
		{"type mismatch", writeError(14, "Cannot apply $inc to a value of non-numeric type"), true, "TypeMismatch (code 14)", false},
		{"failed validation", writeError(121, "Document failed validation"), true, "DocumentValidationFailure (code 121)", false},
		{"dollar-prefixed field", writeError(52, "The dollar ($) prefixed field '$x' is not valid"), true, "DollarPrefixedFieldName", false},
		{"command error", mongo.CommandError{Code: 2, Name: "BadValue", Message: "bad"}, true, "BadValue (code 2)", false},
		{"write concern error", mongo.BulkWriteException{WriteConcernError: &mongo.WriteConcernError{Code: 64, Message: "waiting for replication timed out"}}, false, "", false},
		{"not primary", writeError(10107, "not primary"), false, "", false},
		{"network error", mongo.CommandError{Code: 0, Labels: []string{"NetworkError"}, Message: "connection reset"}, false, "", true},
		{"shutting down", mongo.CommandError{Code: 91, Name: "ShutdownInProgress"}, false, "", false},
		{"timeout", context.DeadlineExceeded, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readmodel.Classify(fmt.Errorf("readmodel: write 1 documents of c: %w", tt.err))
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "permanent: %v", err)
			assert.ErrorContains(t, err, tt.err.Error(), "the driver's error stays in the message")
			if tt.permanent {
				assert.Contains(t, err.Error(), tt.reason)
			}
			assert.Equal(t, tt.unavailable, errors.Is(err, readmodel.ErrUnavailable), "unavailable: %v", err)
		})
	}
}

// TestUpdateBatchRefusesADocumentOverTheLimit: a document that grows past
// the store's limit is not written, with a permanent error that names it
// and its size; the other documents of the batch are unaffected when
// written on their own (as the router does after a permanent error).
func TestUpdateBatchRefusesADocumentOverTheLimit(t *testing.T) {
	coll := notesCollection(t)
	s := readmodel.NewStore[noteDocument](coll, readmodel.WithMaxDocumentBytes(1024))
	grow := readmodel.Change[*noteDocument]{ID: "big", Apply: func(d *noteDocument) (bool, error) {
		d.Title = strings.Repeat("x", 2000)
		return true, nil
	}}
	_, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("small", "x", 1), grow})
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err), "permanent: %v", err)
	assert.ErrorIs(t, err, readmodel.ErrDocumentTooLarge)
	assert.Regexp(t, `notes\w*/big: document too large: 20\d\d bytes, the limit is 1024`, err.Error())
	assert.Zero(t, count(t, coll, "big"), "nothing written")

	_, err = s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("small", "x", 1)})
	require.NoError(t, err)
	assert.EqualValues(t, 1, count(t, coll, "small"))
}

func count(t *testing.T, coll *mongo.Collection, id string) int64 {
	t.Helper()
	n, err := coll.CountDocuments(t.Context(), bson.D{{Key: "_id", Value: id}})
	require.NoError(t, err)
	return n
}
