"""The screens above the steps: the cabinet and the case page (issue 17 item 12)."""
