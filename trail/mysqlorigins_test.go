package trail

import (
	"context"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// openMySQLOriginsT opens a mysqlOrigins on the database of dsn.
func openMySQLOriginsT(t testing.TB, dsn *mysql.Config) OriginStore {
	t.Helper()
	s, err := openMySQLOrigins(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMySQLOrigins(t *testing.T) {
	dsn := testDatabase(t)
	testOriginStore(t, func() OriginStore { return openMySQLOriginsT(t, dsn) })
}

func TestMySQLOriginsProcesses(t *testing.T) {
	if runOriginStoreChild(t) {
		return
	}
	dsn := testDatabase(t)
	testOriginStoreProcesses(t, "mysql", dsn.FormatDSN())
}

func init() {
	childStores["mysql"] = func(t testing.TB, arg string) OriginStore {
		dsn, err := mysql.ParseDSN(arg)
		if err != nil {
			t.Fatal(err)
		}
		return openMySQLOriginsT(t, dsn)
	}
}
