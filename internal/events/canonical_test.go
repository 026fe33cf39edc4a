package events

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// vectors are the reference signatures made by Node's own JSON.parse and
// JSON.stringify (testdata/apideck-webhook-signatures.json).
type vectors struct {
	Key     string `json:"key"`
	Vectors []struct {
		Name  string `json:"name"`
		Forms map[string]struct {
			Bytes  string `json:"bytes"`
			Hex    string `json:"hex"`
			Base64 string `json:"base64"`
		} `json:"forms"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/apideck-webhook-signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return v
}

func TestFormsReproduceNode(t *testing.T) {
	for _, vec := range loadVectors(t).Vectors {
		raw := []byte(vec.Forms[FormRaw].Bytes)
		p, err := parse(raw, true)
		if err != nil {
			t.Fatalf("%s: %v", vec.Name, err)
		}
		for form, sortInArrays := range map[string]bool{FormSortedExceptArrays: false, FormSortedEverywhere: true} {
			got, want := string(write(nil, p.root, true, sortInArrays)), vec.Forms[form].Bytes
			if got != want {
				t.Errorf("%s %s:\n got %s\nwant %s", vec.Name, form, got, want)
			}
		}
		// Written unsorted, a body JSON.stringify would leave alone comes back byte for byte.
		if vec.Name == "vault_callable" {
			if got := string(write(nil, p.root, false, false)); got != string(raw) {
				t.Errorf("unsorted: got %s", got)
			}
		}
	}
}

func TestVerifyEveryVector(t *testing.T) {
	vs := loadVectors(t)
	v := &verifier{key: []byte(vs.Key), slots: make(chan struct{}, 1), wait: time.Second}
	for _, vec := range vs.Vectors {
		raw := []byte(vec.Forms[FormRaw].Bytes)
		for form, f := range vec.Forms {
			for enc, value := range map[string]string{"hex": f.Hex, "base64": f.Base64} {
				sig, err := ParseSignature([]string{value})
				if err != nil || sig.encoding != enc {
					t.Fatalf("%s %s %s: %v %q", vec.Name, form, enc, err, sig.encoding)
				}
				got, _, err := v.verify(context.Background(), raw, sig)
				if err != nil || got != form {
					t.Errorf("%s %s %s: form %q, %v", vec.Name, form, enc, got, err)
				}
			}
		}
		other := &verifier{key: []byte("another key"), slots: make(chan struct{}, 1), wait: time.Second}
		sig, _ := ParseSignature([]string{vec.Forms[FormRaw].Hex})
		if _, _, err := other.verify(context.Background(), raw, sig); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s with another key: %v", vec.Name, err)
		}
	}
}

func TestParseSignature(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	b64 := "NrNNjh95B9d406JK4ZzHjT2ZpDkuV0n9CpDaakVr4ms="
	for _, ok := range [][]string{{hex}, {strings.ToUpper(hex)}, {b64}, {" " + hex + " "}} {
		if _, err := ParseSignature(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range [][]string{nil, {""}, {hex, hex}, {hex[:62]}, {hex + "ab"}, {strings.Repeat("zz", 32)},
		{strings.TrimSuffix(b64, "=") + "A"}, {strings.NewReplacer("+", "-", "/", "_").Replace("a+/" + b64[3:])},
		{"sha256=" + hex}} {
		if _, err := ParseSignature(bad); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		body, unsorted, sorted string
		dup                    bool
	}{
		{body: ` { "b" : 1 , "a" : [ 2 , { "y" : null , "x" : false } ] } `,
			unsorted: `{"b":1,"a":[2,{"y":null,"x":false}]}`, sorted: `{"a":[2,{"x":false,"y":null}],"b":1}`},
		// JSON.parse keeps a repeated key's last value at its first place.
		{body: `{"a":1,"b":2,"a":3}`, unsorted: `{"a":3,"b":2}`, sorted: `{"a":3,"b":2}`, dup: true},
		// Lone surrogates survive, escaped; a pair becomes its character.
		{body: `{"s":"\ud800x\udc00\ud83d\ude00"}`, unsorted: `{"s":"\ud800x\udc00😀"}`, sorted: `{"s":"\ud800x\udc00😀"}`},
		// Escapes JSON.stringify does not use are written plainly; numbers as received.
		{body: `{"u":"\u0041\/\u001f\u007f","n":1.50e+3,"4294967295":0,"4294967294":0,"01":0}`,
			unsorted: `{"4294967294":0,"u":"A/\u001f` + "\x7f" + `","n":1.50e+3,"4294967295":0,"01":0}`,
			sorted:   `{"4294967294":0,"01":0,"4294967295":0,"n":1.50e+3,"u":"A/\u001f` + "\x7f" + `"}`},
		{body: `"top"`, unsorted: `"top"`, sorted: `"top"`},
	} {
		p, err := parse([]byte(c.body), true)
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if got := string(write(nil, p.root, false, false)); got != c.unsorted {
			t.Errorf("%s unsorted: %s", c.body, got)
		}
		if got := string(write(nil, p.root, true, true)); got != c.sorted {
			t.Errorf("%s sorted: %s", c.body, got)
		}
		if p.duplicate != c.dup {
			t.Errorf("%s: duplicate %v", c.body, p.duplicate)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1}}`, `{"a":1} {}`, `{"a":1,}`, `[1 2]`, `{"a" 1}`, `nul`} {
		if _, err := parse([]byte(bad), true); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseBounds(t *testing.T) {
	deep := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	if _, err := parse(deep(32), true); err != nil {
		t.Errorf("depth 32: %v", err)
	}
	if _, err := parse(deep(33), true); !errors.Is(err, errTooComplex) {
		t.Errorf("depth 33: %v", err)
	}
	if _, err := parse(deep(33), false); err != nil {
		t.Errorf("unbounded depth 33: %v", err)
	}
	many := func(n int) []byte { return []byte("[" + strings.TrimSuffix(strings.Repeat("0,", n-1), ",") + "]") }
	if _, err := parse(many(10_000), true); err != nil {
		t.Errorf("10,000 values: %v", err)
	}
	if _, err := parse(many(10_001), true); !errors.Is(err, errTooComplex) {
		t.Errorf("10,001 values: %v", err)
	}
}
