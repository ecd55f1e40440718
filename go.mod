module github.com/uringfs/uring

go 1.26.0

require golang.org/x/sys v0.50.0

require (
	github.com/spf13/afero v1.15.0
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.28.0 // indirect
)
