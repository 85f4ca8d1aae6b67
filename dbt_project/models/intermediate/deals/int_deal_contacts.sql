{#-
    Every contact associated with a deal, one row per deal and contact (HubSpot records the
    link on both objects; either direction counts), and which of them is the deal's primary
    contact. HubSpot's deal-to-contact link carries no primary flag: a labeled association
    comes before an `..._unlabeled` one, then the earliest-created contact (the one the
    deal was opened with), then the lowest id.
-#}

with

associations as (

    select * from {{ ref('stg_crm__associations') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

deal_contact_links as (

    select
        from_id as deal_id,
        to_id as contact_id,
        association_type

    from associations
    where from_object_type = 'deals'
        and to_object_type = 'contacts'

    union all

    select
        to_id as deal_id,
        from_id as contact_id,
        association_type

    from associations
    where from_object_type = 'contacts'
        and to_object_type = 'deals'

),

deal_contacts as (

    select
        deal_id,
        contact_id,
        max(case when association_type like '%unlabeled%' then 0 else 1 end) = 1
            as has_labeled_association

    from deal_contact_links
    group by
        deal_id,
        contact_id

),

ranked as (

    select
        deal_contacts.deal_id,
        deal_contacts.contact_id,
        deal_contacts.has_labeled_association,
        row_number() over (
            partition by deal_contacts.deal_id
            order by
                case when deal_contacts.has_labeled_association then 0 else 1 end,
                contacts.contact_created_at nulls last,
                deal_contacts.contact_id
        ) as contact_rank

    from deal_contacts
    left join contacts
        on deal_contacts.contact_id = contacts.contact_id

),

final as (

    select
        deal_id,
        contact_id,
        has_labeled_association,
        contact_rank = 1 as is_primary_contact

    from ranked

)

select * from final
