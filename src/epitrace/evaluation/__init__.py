"""Accuracy measured on labelled data: tracking, contacts, faces, masks, re-identification."""
