package config

import (
	"net/url"
	"regexp"
	"strings"
)

// IsPostgres says whether a PLUGIN_SERVER_DB names a PostgreSQL database
// rather than a SQLite file: a postgres:// URL, or the keyword/value form
// pgx also accepts ("host=db user=app password=… dbname=plugins").
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") || keywordValue.MatchString(db)
}

// keywordValue is the start of a keyword/value DSN: one of libpq's
// keywords, then "=". A SQLite path does not start so.
var keywordValue = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|passfile|sslmode|sslpassword|service|connect_timeout|application_name|options|search_path|target_session_attrs)\s*=`)

// secretKeys are the settings pgx reads that hold a secret.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

const masked = "xxxxx"

// ShowDB is a PLUGIN_SERVER_DB fit for a log or a message: every form pgx
// accepts with its passwords masked, the URL's user:pass@, its password
// and sslpassword query parameters, and the keyword/value form's.
func ShowDB(db string) string {
	if !IsPostgres(db) {
		return db
	}
	if !strings.Contains(db, "://") {
		return showKeywordValue(db)
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	q := u.Query()
	for key := range q {
		if secretKeys[strings.ToLower(key)] {
			q[key] = []string{masked}
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// showKeywordValue masks the secrets of a keyword/value DSN, read as pgx
// reads one: key = value pairs apart by spaces, a value in single quotes
// when it holds spaces, a backslash escaping the next character. What
// cannot be read is not shown at all, since where a password ends is
// then unknown.
func showKeywordValue(dsn string) string {
	var out []string
	s := strings.TrimSpace(dsn)
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return "(unreadable PostgreSQL settings)"
		}
		key = strings.TrimSpace(key)
		rest = strings.TrimLeft(rest, " \t\n\r")
		value, rest, ok := readValue(rest)
		if !ok {
			return "(unreadable PostgreSQL settings)"
		}
		if secretKeys[key] {
			value = masked
		}
		out = append(out, key+"="+quoteValue(value))
		s = strings.TrimSpace(rest)
	}
	return strings.Join(out, " ")
}

// readValue reads one value, quoted or not, and returns what follows it.
func readValue(s string) (value, rest string, ok bool) {
	var b strings.Builder
	quoted := strings.HasPrefix(s, "'")
	if quoted {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case quoted && c == '\'':
			return b.String(), s[i+1:], true
		case !quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return b.String(), s[i:], true
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "", !quoted
}

func quoteValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`+"\t\n\r") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
