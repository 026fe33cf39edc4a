package handler

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// queryOptionsViaParseQuery is parseQueryOptions without the plain-query
// scan: every query through url.ParseQuery.
func queryOptionsViaParseQuery(rawQuery string) (requestedOptions, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return requestedOptions{}, invalid(codeInvalidRequest, "The query string is malformed.", err)
	}
	var o requestedOptions
	for _, name := range []string{optRedirectURI, optUnifiedAPIs, optServiceID} {
		if vs, ok := q[name]; ok {
			if len(vs) > 1 {
				return requestedOptions{}, errRepeated()
			}
			o.set(name, vs[0])
		}
	}
	return o, nil
}

// flatOptions makes requestedOptions comparable: absent is nil, present
// is the value.
func flatOptions(o requestedOptions) []any {
	var out []any
	for _, p := range []*string{o.redirectURI, o.serviceID} {
		if p == nil {
			out = append(out, nil)
		} else {
			out = append(out, *p)
		}
	}
	if o.unifiedAPIs == nil {
		return append(out, nil)
	}
	return append(out, *o.unifiedAPIs)
}

func errorCode(err error) string {
	var re *requestError
	if errors.As(err, &re) {
		return re.code + ": " + re.detail
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

var queryCorpus = []string{
	"", "unified_apis=crm", "unified_apis=crm,hris&redirect_uri=https://app.example.com/x",
	"service_id=salesforce&unified_apis=crm", "unified_apis=crm&unified_apis=hris", "redirect_uri",
	"redirect_uri=", "=x&&unified_apis=", "other=1&other=2&unified_apis=a", "a;b=c&unified_apis=crm",
	"redirect_uri=https%3A%2F%2Fapp.example.com%2F", "unified_apis=c+r", "unified_apis=%zz",
	"unified_apis=crm&service_id=a&service_id=b", "&&&", "unified_apis=%",
}

func TestQueryOptionsScanMatchesParseQuery(t *testing.T) {
	for _, q := range queryCorpus {
		checkQueryOptions(t, q)
	}
}

func FuzzQueryOptions(f *testing.F) {
	for _, q := range queryCorpus {
		f.Add(q)
	}
	f.Fuzz(checkQueryOptions)
}

func checkQueryOptions(t *testing.T, q string) {
	got, gotErr := parseQueryOptions(q)
	want, wantErr := queryOptionsViaParseQuery(q)
	if errorCode(gotErr) != errorCode(wantErr) {
		t.Fatalf("query %q: error %q, want %q", q, errorCode(gotErr), errorCode(wantErr))
	}
	if diff := cmp.Diff(flatOptions(want), flatOptions(got)); diff != "" {
		t.Errorf("query %q (-ParseQuery +scan):\n%s", q, diff)
	}
}
