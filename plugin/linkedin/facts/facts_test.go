package facts

import "testing"

func TestFind(t *testing.T) {
	for _, tt := range []struct {
		method, path, query, want string
	}{
		{"GET", "/v2/userinfo", "", "GET /v2/userinfo"},
		{"GET", "/rest/posts/urn%3Ali%3Ashare%3A1", "viewContext=AUTHOR", "GET /rest/posts/{post}"},
		{"GET", "/rest/posts", "q=author&author=urn%3Ali%3Aperson%3A1", "GET /rest/posts?q=author"},
		{"GET", "/rest/posts", "q=other", ""},
		{"GET", "/rest/posts/", "", ""},
		{"GET", "/rest/posts/a/b", "", ""},
		{"POST", "/rest/images", "action=initializeUpload", "POST /rest/images?action=initializeUpload"},
		{"POST", "/rest/videos", "action=finalizeUpload", "POST /rest/videos?action=finalizeUpload"},
		{"POST", "/rest/videos", "", ""},
		{"GET", "/rest/organizations", "ids=List(1,2)", "GET /rest/organizations?ids"},
		{"DELETE", "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments/2", "actor=x", "DELETE /rest/socialActions/{post}/comments/{comment}"},
		{"PUT", "/rest/posts/x", "", ""},
		{"GET", "/v2/people/(id:1)", "", ""},
	} {
		got := ""
		if e := Find(tt.method, tt.path, tt.query); e != nil {
			got = e.Key()
		}
		if got != tt.want {
			t.Errorf("%s %s?%s: %q, want %q", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

// Find runs before every call LinkedIn is sent.
func BenchmarkFind(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Find("POST", "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", "")
	}
}
