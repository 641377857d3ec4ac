package config_test

import (
	"strings"
	"testing"

	"pluginserver/internal/config"
)

// Every form of PostgreSQL DSN pgx accepts is shown with its passwords
// masked; the secret appears nowhere in what is shown.
func TestShowDBMasksEveryPassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	tests := []struct {
		name, db, want string
	}{
		{"user:pass@", "postgres://app:" + secret + "@db:5432/plugins?sslmode=require",
			"postgres://app:xxxxx@db:5432/plugins?sslmode=require"},
		{"password in the query", "postgres://app@db/plugins?sslmode=disable&password=" + secret,
			"postgres://app@db/plugins?password=xxxxx&sslmode=disable"},
		{"sslpassword in the query", "postgresql://db/plugins?sslpassword=" + secret,
			"postgresql://db/plugins?sslpassword=xxxxx"},
		{"password's case in the query", "postgres://db/plugins?PASSWORD=" + secret,
			"postgres://db/plugins?PASSWORD=xxxxx"},
		{"keyword/value", "host=db user=app password=" + secret + " dbname=plugins",
			"host=db user=app password=xxxxx dbname=plugins"},
		{"keyword/value, quoted with spaces", "host=db password = '" + secret + " and \\' more' dbname=plugins",
			"host=db password=xxxxx dbname=plugins"},
		{"keyword/value, escaped", `password=` + secret + `\ x user=app`,
			"password=xxxxx user=app"},
		{"keyword/value, unterminated quote", "user=app password='" + secret,
			"(unreadable PostgreSQL settings)"},
		{"a SQLite file", "/var/lib/plugin-server/plugins.db", "/var/lib/plugin-server/plugins.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := config.ShowDB(tc.db)
			if got != tc.want {
				t.Errorf("ShowDB(%q) = %q, want %q", tc.db, got, tc.want)
			}
			if strings.Contains(got, secret) || strings.Contains(got, "s3cr3t") {
				t.Errorf("the password shows: %q", got)
			}
		})
	}
}

func TestIsPostgres(t *testing.T) {
	for db, want := range map[string]bool{
		"postgres://db/x":          true,
		"postgresql://db/x":        true,
		"host=db dbname=x":         true,
		"  user = app password=x":  true,
		"plugins.db":               false,
		"/data/host=db.sqlite":     false,
		"file:plugins.db?mode=rwc": false,
		"hostname=db":              false,
	} {
		if got := config.IsPostgres(db); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", db, got, want)
		}
	}
}
