package debezium

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultVersionHeader is the header that carries aggregate_version in the
// Outbox Event Router shape unless DecoderConfig says otherwise.
const DefaultVersionHeader = "aggregate_version"

// DefaultTable is the outbox table, schema.table, that the decoder accepts
// change events from unless DecoderConfig says otherwise.
const DefaultTable = "activity.event_outbox"

// DecoderConfig configures a Decoder. The zero value is ready to use.
type DecoderConfig struct {
	// VersionHeader is the Kafka header holding the aggregate version when
	// records come through the Outbox Event Router SMT. The SMT names
	// headers after table.fields.additional.placement aliases, which are the
	// user's choice; this one is required, so it is configurable.
	// Default: DefaultVersionHeader.
	VersionHeader string
	// Table is the outbox table as schema.table (source.schema and
	// source.table). Change events of any other table are malformed.
	// Default: DefaultTable.
	Table string
}

func (c *DecoderConfig) setDefaults() {
	if c.VersionHeader == "" {
		c.VersionHeader = DefaultVersionHeader
	}
	if c.Table == "" {
		c.Table = DefaultTable
	}
}

// Validate reports a configuration that cannot work.
func (c DecoderConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.VersionHeader) != c.VersionHeader {
		errs = append(errs, errors.New("debezium: VersionHeader must not have surrounding spaces"))
	}
	if c.VersionHeader == headerEventID {
		errs = append(errs, errors.New(`debezium: VersionHeader must not be "id": the SMT puts the event id there`))
	}
	if schema, table, ok := strings.Cut(c.Table, "."); c.Table != "" && (!ok || schema == "" || table == "") {
		errs = append(errs, fmt.Errorf("debezium: Table must be schema.table, got %q", c.Table))
	}
	return errors.Join(errs...)
}
