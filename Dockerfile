# rhone-controller container image.
#
#   docker build -t rhone-controller .
#   docker run -e FLY_API_TOKEN=... -v $PWD/regionsets:/regionsets:ro \
#       -p 9090:9090 rhone-controller run --source /regionsets
#
# Built on Debian bookworm; run on bookworm-slim with only the libraries
# the binary links. The runtime package list below is kept equal to what
# `ldd` shows by tests/e2e/test_install.py: when the binary gains a
# library, that test names the package to add.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	build-essential pkg-config libcurl4-openssl-dev libyaml-dev \
	libjson-c-dev libev-dev libmicrohttpd-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" build/rhone-controller \
 && make install PREFIX=/usr DESTDIR=/out

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	ca-certificates libcurl4 libev4 libjson-c5 libmicrohttpd12 libpq5 \
	libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 65532 rhone \
 && useradd --system --uid 65532 --gid 65532 --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin rhone
COPY --from=build /out/usr /usr
USER 65532:65532
ENV RHONE_LISTEN=0.0.0.0:9090 RHONE_LOG_FORMAT=json
EXPOSE 9090
ENTRYPOINT ["/usr/bin/rhone-controller"]
CMD ["run"]
