package conformance

import (
	"github.com/spf13/afero"
	"io/fs"
	"os"
	"testing"
)

func TestOracleFile(t *testing.T) {
	TestFile(t, OS())
}

func TestOracleFS(t *testing.T) {
	TestFS(t, func(dir string) fs.FS { return os.DirFS(dir) })
}

func TestOracleAfero(t *testing.T) {
	TestAferoFs(t, afero.NewOsFs())
}
