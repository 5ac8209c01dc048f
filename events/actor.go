package events

// Role is a party's role on the platform (docs/domain.md, "Parties").
type Role string

// The roles. System is reserved for the deadline scheduler.
const (
	RoleBuyer            Role = "buyer"
	RoleMerchant         Role = "merchant"
	RoleAgent            Role = "agent"
	RoleArbitrator       Role = "arbitrator"
	RoleSeniorArbitrator Role = "senior_arbitrator"
	RoleAuditor          Role = "auditor"
	RoleSystem           Role = "system"
)

// Roles lists every role in a stable order.
func Roles() []Role {
	return []Role{RoleBuyer, RoleMerchant, RoleAgent, RoleArbitrator, RoleSeniorArbitrator, RoleAuditor, RoleSystem}
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleBuyer, RoleMerchant, RoleAgent, RoleArbitrator, RoleSeniorArbitrator, RoleAuditor, RoleSystem:
		return true
	}
	return false
}

// Actor is who caused an event: a role and an identifier within it.
type Actor struct {
	Role Role   `json:"role"`
	ID   string `json:"id"`
}

// String is "role:id". (A concatenation: it is in every access-log line,
// where fmt.Sprintf cost two allocations and the parsing of its format.)
func (a Actor) String() string { return string(a.Role) + ":" + a.ID }

// SystemActor is the actor of scheduler-fired events.
func SystemActor() Actor { return Actor{Role: RoleSystem, ID: "scheduler"} }
