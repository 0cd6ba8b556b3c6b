import nock from "nock";

// Tests never leave the machine: only loopback fakes bound to 127.0.0.1 are reachable.
nock.disableNetConnect();
nock.enableNetConnect("127.0.0.1");
