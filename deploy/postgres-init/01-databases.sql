-- Run once by the postgres image, on the first start with an empty data volume.
-- One database per service that keeps state (exam's is on its own server, postgres-exam); each service applies
-- its own migrations at start-up.
CREATE DATABASE registration;
CREATE DATABASE scoring;
CREATE DATABASE notify;
