package metrics

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubmetricKey(t *testing.T) {
	cases := []struct {
		key, name string
		tags      map[string]string
	}{
		{"http_req_duration", "http_req_duration", nil},
		{"  http_req_duration  ", "http_req_duration", nil},
		{"http_req_duration{endpoint:api-list,method:GET}", "http_req_duration", map[string]string{"endpoint": "api-list", "method": "GET"}},
		{"http_req_duration{ endpoint : api-list , method: GET }", "http_req_duration", map[string]string{"endpoint": "api-list", "method": "GET"}},
		{"http_req_duration {scenario:x}", "http_req_duration", map[string]string{"scenario": "x"}},
		{`http_req_duration{name:"http://x/?a=1,b=2"}`, "http_req_duration", map[string]string{"name": "http://x/?a=1,b=2"}},
		{`checks{check:'a: b'}`, "checks", map[string]string{"check": "a: b"}},
		{"group_duration{group:::checkout::pay}", "group_duration", map[string]string{"group": "::checkout::pay"}},
		{"http_reqs{expected_response:true}", "http_reqs", map[string]string{"expected_response": "true"}},
		{"m{a:}", "m", map[string]string{"a": ""}},
	}
	for _, c := range cases {
		name, tags, err := ParseSubmetricKey(c.key)
		if err != nil || name != c.name || !reflect.DeepEqual(tags, c.tags) {
			t.Errorf("%q: %q %v %v", c.key, name, tags, err)
		}
	}
}

func TestParseSubmetricKeyInvalid(t *testing.T) {
	for _, key := range []string{"", "{a:b}", "m{", "m{a:b", "m{a:b}x", "m{}", "m{ }", "m{a:b,}", "m{:b}", "m{a:b}{c:d}",
		`m{a:"b}`, "1m{a:b}", "m-x{a:b}", "m{a}"} {
		if _, _, err := ParseSubmetricKey(key); err == nil || !strings.Contains(err.Error(), `expected "metric" or "metric{tag:value,...}"`) {
			t.Errorf("%q: %v", key, err)
		}
	}
}

func TestSeriesMatches(t *testing.T) {
	s := &series{selector: map[string]string{"endpoint": "a", "method": "GET"}}
	if !s.matches(map[string]string{"endpoint": "a", "method": "GET", "status": "200"}) {
		t.Fatal("superset should match")
	}
	if s.matches(map[string]string{"endpoint": "a"}) || s.matches(map[string]string{"endpoint": "b", "method": "GET"}) || s.matches(nil) {
		t.Fatal("should not match")
	}
	if !(&series{}).matches(nil) {
		t.Fatal("no selector matches all")
	}
}
