"""LR Lab's Streamlit pages, one module per lesson; shared UI pieces live in ``lessons.ui``."""
