package oauthbroker

import (
	"fmt"
	"net/url"
)

// Limits on what LinkedIn's redirect can carry. Our states are 43
// characters; LinkedIn's codes are a few hundred.
const (
	maxStateLen = 128
	maxCodeLen  = 2048
)

// checkCallbackQuery refuses a callback that LinkedIn could not have sent:
// a parameter given twice, or a state, code or error that is too long or
// holds characters outside printable ASCII. Nothing is looked up for it.
func checkCallbackQuery(q url.Values) string {
	for _, k := range []string{"state", "code", "error", "error_description"} {
		if len(q[k]) > 1 {
			return fmt.Sprintf("The callback repeats the parameter %q: start again from Authorize.", k)
		}
	}
	for k, limit := range map[string]int{"state": maxStateLen, "code": maxCodeLen, "error": 100} {
		v := q.Get(k)
		if len(v) > limit {
			return fmt.Sprintf("The callback's %s is too long: start again from Authorize.", k)
		}
		for i := 0; i < len(v); i++ {
			if v[i] <= 0x20 || v[i] >= 0x7f {
				return fmt.Sprintf("The callback's %s holds characters LinkedIn never sends: start again from Authorize.", k)
			}
		}
	}
	for _, c := range q.Get("error") {
		if (c < 'a' || c > 'z') && c != '_' {
			return "The callback's error is not one LinkedIn sends: start again from Authorize."
		}
	}
	return ""
}
