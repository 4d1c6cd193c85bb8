package debezium

import (
	"errors"
	"strings"
)

// DefaultVersionHeader is the header that carries aggregate_version in the
// Outbox Event Router shape unless DecoderConfig says otherwise.
const DefaultVersionHeader = "aggregate_version"

// DecoderConfig configures a Decoder. The zero value is ready to use.
type DecoderConfig struct {
	// VersionHeader is the Kafka header holding the aggregate version when
	// records come through the Outbox Event Router SMT. The SMT names
	// headers after table.fields.additional.placement aliases, which are the
	// user's choice; this one is required, so it is configurable.
	// Default: DefaultVersionHeader.
	VersionHeader string
}

func (c *DecoderConfig) setDefaults() {
	if c.VersionHeader == "" {
		c.VersionHeader = DefaultVersionHeader
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
	return errors.Join(errs...)
}
