# Shortcuts for the README's two commands, ./scripts/run.sh and
# ./scripts/test.sh. Both install missing Debian packages when run as root
# (scripts/deps.sh) and otherwise print the exact apt-get line to run.

.PHONY: run build test clean

## run: build teaphone and start it (ARGS=... passes arguments)
run:
	./scripts/run.sh $(ARGS)

## build: build the teaphone binary only
build:
	bash scripts/deps.sh run
	go build -ldflags "-X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o teaphone .

## test: the full test suite (vet, staticcheck, race tests, fuzzing, end-to-end)
test:
	./scripts/test.sh

clean:
	rm -f teaphone
