# mod_sipsso: built with apxs against Debian 12's apache2-dev.
APXS    ?= apxs
PYTHON  ?= /usr/bin/python3
PKGS    := lasso xmlsec1-openssl libxml-2.0 openssl gobject-2.0 glib-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
EXTRA_LIBS ?=

LIB_SRC := util/b64.c util/form.c util/url.c util/claims.c util/xstime.c util/text.c util/vars.c \
           saml/cert.c saml/xml.c saml/idp_metadata.c saml/sp.c saml/sp_metadata.c \
           saml/authn_request.c saml/response.c saml/structure.c saml/signature.c \
           saml/status.c saml/conditions.c saml/attributes.c saml/lasso_check.c \
           saml/logout.c \
           session/record.c session/cookie.c session/store_health.c
HTTPD_SRC := mod_sipsso.c config/merge.c config/directives_srv.c \
           config/directives_dir.c config/startup.c \
           session/store.c session/store_open.c session/store_cache.c session/sessions.c session/pending.c session/replay.c \
           session/index.c \
           handler/pages.c handler/aadsts.c handler/body.c handler/acs.c \
           handler/login.c handler/logout.c handler/sls.c handler/setup.c handler/endpoints.c \
           auth/identity.c auth/authn.c auth/request_session.c auth/headers.c \
           auth/authz.c auth/forbidden.c
SRC := $(HTTPD_SRC) $(LIB_SRC)

APXS_CFLAGS := $(foreach f,$(WARN) $(PKG_CFLAGS) $(EXTRA_CFLAGS),-Wc,$(f))
APXS_LIBS   := $(PKG_LIBS) $(EXTRA_LIBS)

all: mod_sipsso.so

mod_sipsso.so: $(SRC) $(wildcard */*.h)
	$(APXS) -c -o mod_sipsso.la $(APXS_CFLAGS) $(SRC) $(APXS_LIBS)
	cp .libs/mod_sipsso.so mod_sipsso.so.tmp && mv -f mod_sipsso.so.tmp mod_sipsso.so

install: mod_sipsso.so
	$(APXS) -i -n sipsso mod_sipsso.la
	install -m 644 sipsso.load $(DESTDIR)/etc/apache2/mods-available/sipsso.load

# --- tests --------------------------------------------------------------
UNIT_CFLAGS := -g -O1 $(WARN) -I/usr/include/apr-1.0 -I/usr/include/apache2 $(PKG_CFLAGS) $(EXTRA_CFLAGS)
UNIT_LIBS   := -lapr-1 -laprutil-1 $(PKG_LIBS) $(EXTRA_LDFLAGS)

t/unit/run_unit: t/unit/*.c t/unit/*.h $(LIB_SRC) $(wildcard */*.h)
	$(CC) $(UNIT_CFLAGS) -o $@ t/unit/*.c $(LIB_SRC) $(UNIT_LIBS)

unit: t/unit/run_unit
	cd t/unit && ./run_unit

integration: mod_sipsso.so
	$(PYTHON) -m pytest -p no:cacheprovider -q t/idp t/integration

test: deps
	$(MAKE) clean-build
	$(MAKE) all unit integration
	$(MAKE) asan-test

# The whole suite once more with AddressSanitizer/UBSan in the module.
asan-test:
	$(MAKE) clean-build
	$(MAKE) EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	        EXTRA_LDFLAGS="-fsanitize=address,undefined" EXTRA_LIBS="-lasan -lubsan" all t/unit/run_unit
	cd t/unit && ASAN_OPTIONS=detect_leaks=1 ./run_unit
	SIPSSO_ASAN=1 $(PYTHON) -m pytest -p no:cacheprovider -q t/integration
	$(MAKE) clean-build

deps:
	sh tools/install-deps.sh

demo: deps
	sh tools/demo.sh

# Benchmarks (not part of make test): installs mellon and Shibboleth for the
# comparison, then bench/run.py; results in bench/out/results.md.
bench: deps all
	sh bench/install-peers.sh
	$(PYTHON) bench/run.py $(BENCH_ARGS)

clean-build:
	rm -rf .libs */.libs *.la *.lo *.o *.slo */*.la */*.lo */*.o */*.slo mod_sipsso.so t/unit/run_unit

clean: clean-build

.PHONY: all install unit integration test asan-test deps demo bench clean clean-build

# --- fuzzing (libFuzzer + ASan + UBSan, clang from Debian) ----------------
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZERS      := cookie url form response record

fuzz/bin/fuzz_%: fuzz/fuzz_%.c $(LIB_SRC) $(wildcard */*.h)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_FLAGS) -I/usr/include/apr-1.0 -I/usr/include/apache2 $(PKG_CFLAGS) -o $@ $< $(LIB_SRC) -lapr-1 $(PKG_LIBS)

fuzz-build: $(addprefix fuzz/bin/fuzz_,$(FUZZERS))

# make fuzz FUZZ_SECONDS=600: each harness for that long; new inputs go to
# fuzz/out/<name> (not committed), the seeds stay in fuzz/corpus/<name>.
fuzz: fuzz-build
	@for h in $(FUZZERS); do mkdir -p fuzz/out/$$h; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	  fuzz/bin/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -max_len=300000 -artifact_prefix=fuzz/out/$$h- fuzz/out/$$h fuzz/corpus/$$h \
	    2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" ; \
	done

.PHONY: fuzz fuzz-build
