package demo

// User is a demo account. OrgID becomes the Apideck consumer id in demo mode
// (CONSUMER_ID_CLAIM=org.id, no prefix), so every user of one organisation
// shares that organisation's connections.
type User struct{ ID, Name, Email, OrgID, OrgName string }

// Users returns the demo accounts: two organisations, one of them with two
// users so the page can show that colleagues share a consumer.
func Users() []User {
	return []User{
		{ID: "ada", Name: "Ada Lovelace", Email: "ada@acme.example", OrgID: "org_acme", OrgName: "Acme Corp"},
		{ID: "grace", Name: "Grace Hopper", Email: "grace@acme.example", OrgID: "org_acme", OrgName: "Acme Corp"},
		{ID: "linus", Name: "Linus Torvalds", Email: "linus@globex.example", OrgID: "org_globex", OrgName: "Globex Inc"},
	}
}

// org is one organisation and its users, in the order Users lists them.
type org struct {
	ID, Name string
	Users    []User
}

// byOrg groups users by organisation, keeping first-seen order so the
// sign-in form is stable.
func byOrg(users []User) []org {
	var orgs []org
	idx := map[string]int{}
	for _, u := range users {
		i, ok := idx[u.OrgID]
		if !ok {
			i = len(orgs)
			idx[u.OrgID] = i
			orgs = append(orgs, org{ID: u.OrgID, Name: u.OrgName})
		}
		orgs[i].Users = append(orgs[i].Users, u)
	}
	return orgs
}

// findUser returns the user with the given id.
func findUser(users []User, id string) (User, bool) {
	for _, u := range users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}
