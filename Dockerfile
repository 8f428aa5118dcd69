# Offline Bitunix spot mock as a container: listens on 0.0.0.0:8080 and refuses to start
# without an admin token (it would serve every account's secret to whoever reaches it).
#
#   docker build -t bitunix-mock .
#   docker run --rm -p 8080:8080 -e BITUNIX_MOCK_ADMIN_TOKEN=change-me bitunix-mock
#
# Every option is also a BITUNIX_MOCK_* variable (bitunix-mock --help); arguments after the
# image name are options too: docker run ... bitunix-mock --seed 7 --profile strict
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
COPY client_ref ./client_ref
COPY conformance ./conformance
COPY pytest_bitunix ./pytest_bitunix
RUN pip install . \
    && rm -rf /src \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mock

WORKDIR /
USER 10001

ENV BITUNIX_MOCK_HOST=0.0.0.0 \
    BITUNIX_MOCK_PORT=8080 \
    BITUNIX_MOCK_REQUIRE_ADMIN_TOKEN=1 \
    BITUNIX_MOCK_LOG_FORMAT=text
EXPOSE 8080

# No curl in a slim image: the mock's own waiter (standard library only) checks /_mock/health
# on 127.0.0.1:$BITUNIX_MOCK_PORT.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-m", "mockserver.wait", "--timeout", "2", "--quiet"]

# Exec form: the server is PID 1 and gets docker stop's SIGTERM itself (it exits 0 within
# half a second: requests still in flight get at most 0.2 s). The log (stdout is no terminal)
# never shows the admin token nor the demo secret: GET /_mock/accounts/<api-key> with the token.
ENTRYPOINT ["bitunix-mock"]
CMD []
