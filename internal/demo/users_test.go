package demo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsersTwoOrganisationsOneShared(t *testing.T) {
	users := Users()
	orgs := byOrg(users)
	if len(orgs) != 2 {
		t.Fatalf("Users span %d organisations, want 2", len(orgs))
	}
	shared := false
	for _, o := range orgs {
		if len(o.Users) >= 2 {
			shared = true
		}
	}
	if !shared {
		t.Error("no organisation has two users; the page could not show a shared consumer")
	}

	ids := map[string]bool{}
	orgNames := map[string]string{}
	for _, u := range users {
		if ids[u.ID] {
			t.Errorf("duplicate user id %q", u.ID)
		}
		ids[u.ID] = true
		if u.Name == "" || u.Email == "" || u.OrgName == "" {
			t.Errorf("user %q lacks a name, email or organisation name", u.ID)
		}
		if n, ok := orgNames[u.OrgID]; ok && n != u.OrgName {
			t.Errorf("organisation %q has two names: %q and %q", u.OrgID, n, u.OrgName)
		}
		orgNames[u.OrgID] = u.OrgName
		// The organisation id is the consumer id as-is (no prefix in demo
		// mode), so it must be one vaultgate accepts.
		if !validConsumerID(u.OrgID) {
			t.Errorf("organisation id %q is not a valid consumer id", u.OrgID)
		}
	}
}

// validConsumerID is the consumer id rule (README, Consumer mapping): 1–255 bytes of printable ASCII, no spaces.
func validConsumerID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func TestByOrg(t *testing.T) {
	a := User{ID: "a", OrgID: "o1", OrgName: "One"}
	b := User{ID: "b", OrgID: "o2", OrgName: "Two"}
	c := User{ID: "c", OrgID: "o1", OrgName: "One"}
	tests := []struct {
		name  string
		users []User
		want  []org
	}{
		{"empty", nil, nil},
		{"first-seen order", []User{a, b, c}, []org{
			{ID: "o1", Name: "One", Users: []User{a, c}},
			{ID: "o2", Name: "Two", Users: []User{b}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, byOrg(tt.users)); diff != "" {
				t.Errorf("byOrg (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindUser(t *testing.T) {
	tests := []struct {
		id     string
		wantOK bool
	}{
		{"ada", true},
		{"linus", true},
		{"", false},
		{"ADA", false},
		{"mallory", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			u, ok := findUser(Users(), tt.id)
			if ok != tt.wantOK || (ok && u.ID != tt.id) {
				t.Errorf("findUser(%q) = %q, %v; want ok=%v", tt.id, u.ID, ok, tt.wantOK)
			}
		})
	}
}
