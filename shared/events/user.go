package events

import "errors"

// UserCreatedV1 is the payload of UserCreated (aggregate: user).
type UserCreatedV1 struct {
	UserID   string `json:"user_id"`
	Email    string `json:"email"`
	Username string `json:"username"`
	FullName string `json:"full_name"`
	City     string `json:"city,omitempty"`
}

func (p *UserCreatedV1) ownID() *string { return &p.UserID }

func (p UserCreatedV1) validate(aggregateID string) error {
	return errors.Join(
		sameAggregate("user_id", p.UserID, aggregateID),
		required("email", p.Email),
		required("username", p.Username),
	)
}

// UserUpdatedV1 is the payload of UserUpdated: only the fields that changed
// are present (nil means unchanged).
type UserUpdatedV1 struct {
	UserID   string  `json:"user_id"`
	Email    *string `json:"email,omitempty"`
	Username *string `json:"username,omitempty"`
	FullName *string `json:"full_name,omitempty"`
	City     *string `json:"city,omitempty"`
}

func (p *UserUpdatedV1) ownID() *string { return &p.UserID }

func (p UserUpdatedV1) validate(aggregateID string) error {
	if err := sameAggregate("user_id", p.UserID, aggregateID); err != nil {
		return err
	}
	if p.Email == nil && p.Username == nil && p.FullName == nil && p.City == nil {
		return errors.New("(any field): an update changes at least one of email, username, full_name, city")
	}
	if p.Email != nil && *p.Email == "" {
		return errors.New("email: must not be empty")
	}
	if p.Username != nil && *p.Username == "" {
		return errors.New("username: must not be empty")
	}
	return nil
}

// UserDeletedV1 is the payload of UserDeleted.
type UserDeletedV1 struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason,omitempty"`
}

func (p *UserDeletedV1) ownID() *string { return &p.UserID }

func (p UserDeletedV1) validate(aggregateID string) error {
	return sameAggregate("user_id", p.UserID, aggregateID)
}
