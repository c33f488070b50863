package trail

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// testDatabase creates a database of its own for the test on the MySQL
// server of $TW_TRAIL_DSN (scripts/setup.d/45-mariadb.sh starts one),
// dropped when the test ends, and returns its DSN.
func testDatabase(t testing.TB) *mysql.Config {
	t.Helper()
	base := os.Getenv("TW_TRAIL_DSN")
	if base == "" {
		testenv.Need(t, "a MySQL-compatible server (TW_TRAIL_DSN)",
			"source scripts/setup.d/45-mariadb.sh, which starts MariaDB and exports TW_TRAIL_DSN")
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("TW_TRAIL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	name := "tw_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating the test's database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("dropping the test's database: %v", err)
		}
	})
	cfg.DBName = name
	return cfg
}
