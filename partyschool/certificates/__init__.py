"""Certificates (结业证书): issuing on the record, Chinese PDFs, public verification."""
