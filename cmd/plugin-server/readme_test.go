package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pluginserver/plugin/linkedin/sandbox"
)

// readmeBlock is the README's walk-through: the shell block under its
// "Walk-through with curl" heading.
func readmeBlock(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, walk, ok := strings.Cut(string(raw), "## Walk-through with curl")
	if !ok {
		t.Fatal("README.md has no walk-through")
	}
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(walk)
	if block == nil {
		t.Fatal("the walk-through has no sh block")
	}
	return block[1]
}

// TestReadmeWalkThrough runs the README's shell block as it is, with real
// curl and jq, against a real server process started the README's way
// (--sandbox, no API keys): what a new user pastes must work.
func TestReadmeWalkThrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the README (.ci/run installs it): %v", tool, err)
		}
	}
	// Both kinds of LinkedIn app, as the README starts them.
	for _, kind := range []struct {
		name       string
		env, shell []string
	}{
		{name: "self-serve"},
		{name: "community", env: []string{"LINKEDIN_CLIENT_ID=" + sandbox.CommunityClientID, "LINKEDIN_CLIENT_SECRET=" + sandbox.CommunityClientSecret},
			shell: []string{"SCOPES=r_basicprofile w_member_social w_organization_social r_organization_social rw_organization_admin"}},
	} {
		t.Run(kind.name, func(t *testing.T) {
			s := startReplica(t, append([]string{"PLUGIN_SERVER_SANDBOX=1", "LOG_LEVEL=error"}, kind.env...), filepath.Join(t.TempDir(), "plugin-server.db"))
			sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", readmeBlock(t))
			sh.Env = append(append(os.Environ(), "S="+s.url), kind.shell...)
			var stdout, stderr bytes.Buffer
			sh.Stdout, sh.Stderr = &stdout, &stderr
			if err := sh.Run(); err != nil {
				t.Fatalf("the walk-through failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			checkWalkThrough(t, stdout.String())
		})
	}
}

func checkWalkThrough(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		`"createPost"`,               // the command list
		`is authorized as`,           // the callback page
		`"authStatus": "authorized"`, // the datasource after Authorize
		`"status": 201`,              // createPost
		`"urn:li:share:`,             // its id
		`"AVAILABLE"`,                // the media flow
		`"post": "urn:li:share:`,     // the Posts API's carousel
		`"code": "invalid_input"`,    // bad input named
		`"field": "author"`,          //
		`"method": "GET"`,            // the dry run
		`"Bearer [REDACTED]"`,        //
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the walk-through's output lacks %s:\n%s", want, out)
		}
	}
}
