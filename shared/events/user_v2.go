//go:build !events_schema_v1only

package events

import (
	"encoding/json"
	"strings"
)

// UserCreatedV2 is the payload of UserCreated, schema version 2: the name
// in parts. It reads as UserCreatedV1 with full_name "given family".
type UserCreatedV2 struct {
	UserID   string `json:"user_id"`
	Email    string `json:"email"`
	Username string `json:"username"`
	Name     struct {
		Given  string `json:"given"`
		Family string `json:"family"`
	} `json:"name"`
	City string `json:"city,omitempty"`
}

// V1 is the payload in the current shape.
func (p UserCreatedV2) V1() UserCreatedV1 {
	return UserCreatedV1{
		UserID: p.UserID, Email: p.Email, Username: p.Username, City: p.City,
		FullName: strings.TrimSpace(p.Name.Given + " " + p.Name.Family),
	}
}

func init() {
	registerVersion(UserCreated, 2, func(payload []byte) ([]byte, error) {
		var v2 UserCreatedV2
		if err := json.Unmarshal(payload, &v2); err != nil {
			return nil, err
		}
		return json.Marshal(v2.V1())
	})
}
