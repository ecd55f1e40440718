package conformance

import (
	"testing"
)

func TestOracleFile(t *testing.T) {
	TestFile(t, OS())
}
